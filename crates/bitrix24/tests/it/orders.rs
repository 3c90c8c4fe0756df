//! A whole order against the sandbox: catalog lookup, the deal bound to its contacts, rows,
//! a timeline comment and a to-do, all in one batch request, and what the portal stored.

use crate::client_support::{client, sandbox};
use bitrix24::batch::Batch;
use bitrix24::crm::catalog::ProductFields;
use bitrix24::crm::productrow::ProductRowFields;
use bitrix24::crm::timeline::TodoFields;
use bitrix24::crm::types::{Amount, DealId};
use bitrix24::crm::{ContactFields, DealFields, Owner};
use bitrix24::ErrorKind;
use time::macros::datetime;

fn amount(s: &str) -> Amount {
    Amount::parse(s).unwrap()
}

#[tokio::test]
async fn a_catalog_product_is_found_by_its_sku_and_goes_on_a_row() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let catalogs = client.catalog().catalogs().await?;
    let products = catalogs
        .iter()
        .find(|c| c.product_iblock_id.is_none())
        .expect("the product catalog (not the variations one)");
    let added = client
        .catalog()
        .add_product(ProductFields::new(products.iblock_id, "Oak table").xml_id("SKU-7"))
        .await?;
    let base = client
        .catalog()
        .price_types()
        .await?
        .into_iter()
        .find(|t| t.base == Some(true))
        .expect("a base price type");
    let price = client
        .catalog()
        .add_price(added.id, base.id, amount("450.00"), "RUB")
        .await?;
    assert_eq!(price.product_id, added.id);

    let found = client
        .catalog()
        .find_by_xml_id(products.iblock_id, "SKU-7")
        .await?;
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), [added.id]);
    assert!(client
        .catalog()
        .find_by_xml_id(products.iblock_id, "SKU-none")
        .await?
        .is_empty());
    let prices = client.catalog().prices(added.id).await?;
    assert_eq!(
        prices[0].price.cmp_value(&amount("450")),
        std::cmp::Ordering::Equal
    );

    let deal = client.deals().add(DealFields::new().title("Table")).await?;
    let rows = client
        .product_rows()
        .set(
            &Owner::deal(deal),
            [ProductRowFields::from_product(
                added.id,
                prices[0].price.clone(),
            )],
        )
        .await?;
    assert_eq!(rows[0].product_id, Some(added.id));
    assert_eq!(
        rows[0].product_name.as_deref(),
        Some("Oak table"),
        "name from the catalog"
    );
    Ok(())
}

#[tokio::test]
async fn a_deals_contacts_are_bound_listed_and_replaced() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let (a, b, c) = (
        client
            .contacts()
            .add(ContactFields::new().name("Анна"))
            .await?,
        client
            .contacts()
            .add(ContactFields::new().name("Борис"))
            .await?,
        client
            .contacts()
            .add(ContactFields::new().name("Вера"))
            .await?,
    );
    let deal = client
        .deals()
        .add(DealFields::new().title("Shared order").contacts([a, b]))
        .await?;
    let bound = client.deals().contacts(deal).list().await?;
    assert_eq!(
        bound.iter().map(|x| x.contact_id).collect::<Vec<_>>(),
        [a, b]
    );
    assert!(bound[0].is_primary && !bound[1].is_primary);

    assert!(client.deals().contacts(deal).add(c, true).await?);
    assert!(
        !client.deals().contacts(deal).add(c, false).await?,
        "already bound"
    );
    let primary = client.deals().get(deal).await?.contact_id;
    assert_eq!(primary, Some(c));

    client.deals().contacts(deal).set([b]).await?;
    let bound = client.deals().contacts(deal).list().await?;
    assert_eq!(bound.len(), 1);
    assert_eq!((bound[0].contact_id, bound[0].is_primary), (b, true));
    client.deals().contacts(deal).clear().await?;
    assert!(client.deals().contacts(deal).list().await?.is_empty());
    Ok(())
}

/// The whole order: a new contact, the deal bound to it, three rows and a comment, in one
/// HTTP request; then what the portal computed and stored.
#[tokio::test]
async fn the_whole_order_is_one_batch_request() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let before = client.stats().requests;

    let mut batch = Batch::new();
    let contact = batch.push(client.contacts().add(ContactFields::new().name("Алексей")));
    let deal = batch.push(
        client
            .deals()
            .add(DealFields::new().title("Order A-1").contacts([&contact])),
    );
    let owner = Owner::deal(&deal);
    let rows = batch.push(client.product_rows().set(
        &owner,
        [
            ProductRowFields::new("Sofa", amount("999.90")),
            ProductRowFields::new("Pillow", amount("12.35")).quantity(Amount::from(4)),
            ProductRowFields::new("Delivery", amount("300")),
        ],
    ));
    let comment = batch.push(client.timeline().comment(&owner, "Paid online, order A-1"));
    let todo = batch.push(client.activities().todo(
        &owner,
        TodoFields::new(datetime!(2030-01-02 15:00 +03:00)).title("Call to confirm delivery"),
    ));
    batch.halt(true);
    let results = client.batch(batch).await?;
    assert_eq!(client.stats().requests - before, 1, "one HTTP request");

    let (contact, deal) = (results.get(&contact)?, results.get(&deal)?);
    let rows = results.get(&rows)?;
    assert_eq!(rows.len(), 3);
    let read = client.deals().get(deal).await?;
    // 999.90 + 4 × 12.35 + 300
    assert_eq!(
        read.opportunity.unwrap().cmp_value(&amount("1349.30")),
        std::cmp::Ordering::Equal
    );
    assert_eq!(read.contact_id, Some(contact));

    let comment = client
        .timeline()
        .get_comment(results.get(&comment)?)
        .await?;
    assert_eq!(comment.comment.as_deref(), Some("Paid online, order A-1"));
    assert_eq!(comment.entity_id, Some(deal.get()));
    assert_eq!(comment.entity_type.as_deref(), Some("deal"));
    let listed = client.timeline().comments(&Owner::deal(deal)).await?;
    assert_eq!(
        listed.iter().map(|c| c.id).collect::<Vec<_>>(),
        [comment.id]
    );

    let todo = client.activities().get(results.get(&todo)?).await?;
    assert_eq!(todo.provider_id.as_deref(), Some("CRM_TODO"));
    assert_eq!(todo.subject.as_deref(), Some("Call to confirm delivery"));
    assert_eq!(todo.owner_id, Some(deal.get()));
    assert_eq!(todo.deadline, Some(datetime!(2030-01-02 15:00 +03:00)));
    Ok(())
}

#[tokio::test]
async fn a_comment_on_a_missing_record_or_an_unknown_type_is_refused() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let missing = Owner::deal(DealId::new(999_999).unwrap());
    let e = client
        .timeline()
        .comment(&missing, "hello")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(e.code().map(|c| c.as_str()), Some("OWNER_NOT_FOUND"));

    let deal = client.deals().add(DealFields::new().title("x")).await?;
    let e = client
        .timeline()
        .comment(&Owner::deal(deal), "")
        .await
        .unwrap_err();
    assert_eq!(e.code().map(|c| c.as_str()), Some("INVALID_ARG_VALUE"));

    let before = client.stats().requests;
    let e = client
        .timeline()
        .comment(&Owner::from_short_code("XX", 1), "hello")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("short code"), "{e}");
    assert_eq!(client.stats().requests, before, "nothing sent");
    Ok(())
}
