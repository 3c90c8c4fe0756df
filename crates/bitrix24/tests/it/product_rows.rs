//! Product rows against the sandbox: typed rows set on a deal (alone and in the batch that
//! creates the deal), the prices and the OPPORTUNITY the portal computed, the legacy
//! methods on the same rows, and each kind of bad input reported with the portal's code.

use crate::client_support::{client, sandbox};
use bitrix24::batch::Batch;
use bitrix24::crm::productrow::{Discount, DiscountType, ProductRowFields};
use bitrix24::crm::types::{Amount, DealId};
use bitrix24::crm::{DealFields, Owner};
use bitrix24::{ApiErrorCode, ErrorKind};

fn amount(s: &str) -> Amount {
    Amount::parse(s).unwrap()
}

/// Equal by value: the portal keeps 8 decimals and drops trailing zeros.
fn assert_amount(got: &Amount, want: &str) {
    assert_eq!(
        got.cmp_value(&amount(want)),
        std::cmp::Ordering::Equal,
        "got {got}, want {want}"
    );
}

fn sofa() -> ProductRowFields {
    ProductRowFields::new("Sofa", amount("80000"))
        .discount(Discount::Percent(Amount::from(20)))
        .tax(Amount::from(20), true)
        .measure(796, "pcs")
        .sort(10)
}

#[tokio::test]
async fn set_returns_the_rows_with_the_prices_the_portal_computed() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let deal = client
        .deals()
        .add(DealFields::new().title("Order 1"))
        .await?;
    let owner = Owner::deal(deal);
    let chairs = ProductRowFields::new("Chair", amount("120.50"))
        .quantity(Amount::from(4))
        .discount(Discount::Absolute(amount("10")))
        .sort(20);
    let rows = client.product_rows().set(&owner, [sofa(), chairs]).await?;

    assert_eq!(rows.len(), 2);
    let (s, c) = (&rows[0], &rows[1]);
    assert_eq!(s.product_name.as_deref(), Some("Sofa"));
    assert_eq!(s.owner_id, Some(deal.get()));
    assert_eq!(s.owner_type.as_deref(), Some("D"));
    assert_amount(&s.price, "80000");
    assert_amount(&s.price_exclusive, "66666.66666667");
    assert_amount(&s.price_netto, "83333.33333333");
    assert_amount(&s.price_brutto, "100000");
    assert_amount(s.discount_sum.as_ref().unwrap(), "16666.66666667");
    assert_eq!(s.discount_type, DiscountType::Percent);
    assert_eq!(s.tax_included, Some(true));
    assert_eq!(s.measure_code, Some(796));
    // An absolute discount: the portal derives the rate, 10 / 130.50.
    assert_eq!(c.discount_type, DiscountType::Absolute);
    assert_amount(&c.price_netto, "130.5");
    assert_amount(c.discount_rate.as_ref().unwrap(), "7.6628");
    assert_amount(&c.quantity, "4");

    // OPPORTUNITY = 80000 × 1 + 120.50 × 4, as text in crm.deal.get.
    let read = client.deals().get(deal).await?;
    assert_amount(read.opportunity.as_ref().unwrap(), "80482");

    // list reads the same rows; set again replaces them all, with new ids.
    let listed = client.product_rows().list(&owner).await?;
    assert_eq!(
        listed.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![s.id, c.id]
    );
    let again = client.product_rows().set(&owner, [sofa()]).await?;
    assert_eq!(again.len(), 1);
    assert!(again[0].id != s.id && again[0].id != c.id);
    let read = client.deals().get(deal).await?;
    assert_amount(read.opportunity.as_ref().unwrap(), "80000");
    Ok(())
}

#[tokio::test]
async fn the_deal_and_its_rows_go_in_one_batch() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let before = client.stats().requests;

    let mut batch = Batch::new();
    let deal = batch.push(client.deals().add(DealFields::new().title("Order 2")));
    let rows = batch.push(client.product_rows().set(
        &Owner::deal(&deal),
        [
            sofa(),
            ProductRowFields::new("Delivery", amount("1500.25")).sort(20),
        ],
    ));
    batch.halt(true);
    let results = client.batch(batch).await?;
    assert_eq!(client.stats().requests - before, 1, "one HTTP request");

    let (deal, rows) = (results.get(&deal)?, results.get(&rows)?);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.owner_id == Some(deal.get())));
    assert_amount(&rows[0].price_netto, "83333.33333333");
    let read = client.deals().get(deal).await?;
    assert_amount(read.opportunity.as_ref().unwrap(), "81500.25");
    Ok(())
}

#[tokio::test]
async fn the_legacy_methods_work_on_the_same_rows() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let deal = client
        .deals()
        .add(DealFields::new().title("Order 3"))
        .await?;
    let owner = Owner::deal(deal);
    client
        .product_rows()
        .set_legacy(
            &owner,
            [ProductRowFields::new("Chair", amount("80")).quantity(Amount::from(2))],
        )
        .await?;
    let legacy = client.product_rows().get_legacy(&owner).await?;
    let item = client.product_rows().list(&owner).await?;
    assert_eq!(legacy.len(), 1);
    assert_eq!(legacy[0].id, item[0].id, "one set of rows behind both APIs");
    assert_amount(legacy[0].price_account.as_ref().unwrap(), "80");
    assert_amount(&item[0].quantity, "2");
    let read = client.deals().get(deal).await?;
    assert_amount(read.opportunity.as_ref().unwrap(), "160");
    Ok(())
}

#[tokio::test]
async fn bad_input_gets_the_portals_error_and_says_what_to_do() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let deal = client
        .deals()
        .add(DealFields::new().title("Order 4"))
        .await?;
    let rows = || [ProductRowFields::new("Chair", amount("80"))];

    // A type code the portal does not know.
    let e = client
        .product_rows()
        .set(&Owner::from_short_code("XX", deal.get()), rows())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(
        e.code(),
        Some(&ApiErrorCode::Unknown("ENTITY_TYPE_NOT_SUPPORTED".into()))
    );
    assert!(e.to_string().contains("short code"), "{e}");

    // A type that has no rows never leaves the client.
    let before = client.stats().requests;
    let e = client
        .product_rows()
        .set(&Owner::item(5, deal.get()), rows())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(client.stats().requests, before);

    // A deal that does not exist.
    let missing = Owner::deal(DealId::new(deal.get() + 1000).unwrap());
    let e = client
        .product_rows()
        .set(&missing, rows())
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some(&ApiErrorCode::Unknown("OWNER_NOT_FOUND".into()))
    );

    // A 100 % discount without its sum: refused, and nothing stored.
    let free = ProductRowFields::new("Gift", amount("0")).discount(Discount::Percent(100.into()));
    let e = client
        .product_rows()
        .set(&Owner::deal(deal), [free])
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some(&ApiErrorCode::Unknown(
            "CRM_PRODUCTROW_NORMALIZATION_DISCOUNT_SUM_REQUIRED".into()
        ))
    );
    assert!(e.to_string().contains("Discount::Full"), "{e}");
    assert!(client
        .product_rows()
        .list(&Owner::deal(deal))
        .await?
        .is_empty());
    Ok(())
}

#[tokio::test]
async fn one_row_is_added_read_updated_and_deleted_beside_the_others() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let deal = client
        .deals()
        .add(DealFields::new().title("Order 5"))
        .await?;
    let owner = Owner::deal(deal);
    client.product_rows().set(&owner, [sofa()]).await?;
    let pillow = client
        .product_rows()
        .add(
            &owner,
            ProductRowFields::new("Pillow", amount("12.35")).quantity(Amount::from(3)),
        )
        .await?;
    assert_amount(&pillow.price, "12.35");
    let read = client.product_rows().get(pillow.id).await?;
    assert_eq!(read.product_name.as_deref(), Some("Pillow"));
    assert_eq!(client.product_rows().list(&owner).await?.len(), 2);
    let opportunity = client.deals().get(deal).await?.opportunity.unwrap();
    assert_amount(&opportunity, "80037.05");

    let more = client
        .product_rows()
        .update(
            pillow.id,
            ProductRowFields::new("Pillow", amount("12.35")).quantity(Amount::from(5)),
        )
        .await?;
    assert_eq!((more.id, more.quantity.as_str()), (pillow.id, "5"));
    let opportunity = client.deals().get(deal).await?.opportunity.unwrap();
    assert_amount(&opportunity, "80061.75");

    client.product_rows().delete(pillow.id).await?;
    let e = client.product_rows().get(pillow.id).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert_eq!(client.product_rows().list(&owner).await?.len(), 1);
    let opportunity = client.deals().get(deal).await?.opportunity.unwrap();
    assert_amount(&opportunity, "80000");
    Ok(())
}

#[tokio::test]
async fn the_legacy_set_reports_a_refused_discount_with_the_portals_text() {
    let sb = sandbox().await;
    let client = client(&sb);
    let deal = client
        .deals()
        .add(DealFields::new().title("Order 6"))
        .await
        .unwrap();
    let free = ProductRowFields::new("Gift", amount("0")).discount(Discount::Percent(100.into()));
    let e = client
        .product_rows()
        .set_legacy(&Owner::deal(deal), [free])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(&ApiErrorCode::Core));
    assert!(
        e.description().unwrap_or("").contains("DISCOUNT_SUM"),
        "{e}"
    );
}
