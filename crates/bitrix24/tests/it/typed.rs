//! The typed API as a newcomer writes it from the README: request values awaited or pushed
//! into a batch, entity services, checked lists, handles where ids go, error predicates.

use crate::client_support::{client, sandbox};
use bitrix24::batch::Batch;
use bitrix24::crm::types::{LeadStatus, StageId};
use bitrix24::crm::{
    ContactFields, DealFields, EntityType, Filter, ItemFields, LeadFields, PhoneType,
};
use bitrix24::ErrorKind;
use futures::TryStreamExt;

/// The README's quickstart, line for line (only the values of `name` and `phone` added).
#[tokio::test]
async fn the_readme_snippet_runs_against_the_sandbox() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let (name, phone) = ("Мария", "+7 903 555-01-02");

    let id = client
        .leads()
        .add(
            LeadFields::new()
                .title("Signup")
                .name(name)
                .phone(phone, PhoneType::Mobile),
        )
        .await?; // LeadId
    let lead = client.leads().get(id).await?; // Lead
    client
        .leads()
        .update(id, LeadFields::new().comments("called back"))
        .await?;
    let mut rows = client
        .leads()
        .list()
        .filter(Filter::new().eq("STATUS_ID", "NEW"))
        .select(["ID", "NAME"])
        .stream();
    let mut batch = Batch::new();
    let contact = batch.push(client.contacts().add(ContactFields::new().name("Иван"))); // Handle<ContactId>
    let deal = batch.push(
        client
            .deals()
            .add(DealFields::new().title("Order 7").contact(&contact)),
    ); // id or handle
    let results = client.batch(batch).await?;
    let (contact_id, deal_id) = (results.get(&contact)?, results.get(&deal)?);

    // What each line did.
    assert_eq!(lead.id, Some(id));
    assert_eq!(lead.title.as_deref(), Some("Signup"));
    assert_eq!(lead.name.as_deref(), Some(name));
    assert_eq!(lead.phone[0].value, phone);
    let updated = client.leads().get(id).await?;
    assert_eq!(updated.comments.as_deref(), Some("called back"));
    assert_eq!(
        updated.name.as_deref(),
        Some(name),
        "update kept the other fields"
    );
    let first = rows.try_next().await?.expect("the new lead is listed");
    assert_eq!(first.id, Some(id));
    assert_eq!(first.name.as_deref(), Some(name));
    assert_eq!(first.title, None, "TITLE was not selected");
    assert!(rows.try_next().await?.is_none(), "one lead in status NEW");
    let deal = client.deals().get(deal_id).await?;
    assert_eq!(
        deal.contact_id,
        Some(contact_id),
        "the handle became the new contact's id"
    );
    let contact = client.contacts().get(contact_id).await?;
    assert_eq!(contact.name.as_deref(), Some("Иван"));

    client.leads().delete(id).await?;
    let gone = client.leads().get(id).await.unwrap_err();
    assert!(gone.is_not_found(), "{gone}");
    assert!(gone.to_string().contains("not found"), "{gone}");
    assert!(!gone.is_retryable() && !gone.is_auth());
    Ok(())
}

#[tokio::test]
async fn handles_chain_gets_and_updates_inside_one_batch() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let before = sb.http_requests();
    let mut batch = Batch::new();
    let lead = batch.push(client.leads().add(LeadFields::new().title("in a batch")));
    let changed = batch.push(
        client
            .leads()
            .update(&lead, LeadFields::new().status(LeadStatus::InProcess)),
    );
    let read = batch.push(client.leads().get(&lead));
    let results = client.batch(batch).await?;
    assert_eq!(sb.http_requests() - before, 1, "one HTTP request");
    results.get(&changed)?;
    let read = results.get(&read)?;
    assert_eq!(read.id, Some(results.get(&lead)?));
    assert_eq!(read.status_id, Some(LeadStatus::InProcess));
    Ok(())
}

#[tokio::test]
async fn request_values_go_into_batch_chunked_with_their_types() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let adds = (0..60).map(|i| {
        client
            .leads()
            .add(LeadFields::new().title(format!("bulk {i}")))
    });
    let ids = client
        .batch_chunked(adds)
        .await?
        .into_iter()
        .collect::<bitrix24::Result<Vec<_>>>()?;
    assert_eq!(ids.len(), 60);
    let leads = client
        .batch_chunked(ids.iter().map(|&id| client.leads().get(id)))
        .await?;
    for (i, lead) in leads.into_iter().enumerate() {
        assert_eq!(lead?.title, Some(format!("bulk {i}")));
    }
    Ok(())
}

#[tokio::test]
async fn items_of_any_entity_type_round_trip() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let client = client(&sb);
    let deals = client.items(EntityType::Deal);
    let item = deals.add(ItemFields::new().title("via crm.item")).await?;
    let id = item.id.expect("the new item has an id");
    assert_eq!(item.title.as_deref(), Some("via crm.item"));
    let updated = deals.update(id, ItemFields::new().title("renamed")).await?;
    assert_eq!(updated.title.as_deref(), Some("renamed"));
    assert_eq!(deals.get(id).await?.title.as_deref(), Some("renamed"));
    let listed = client
        .items(2)
        .list()
        .raw_filter("title", "renamed")
        .await?;
    assert_eq!(listed.iter().filter_map(|i| i.id).collect::<Vec<_>>(), [id]);
    // The classic service sees the same deal.
    let classic = client
        .deals()
        .get(bitrix24::crm::types::DealId::new(id).unwrap())
        .await?;
    assert_eq!(classic.title.as_deref(), Some("renamed"));
    deals.delete(id).await?;
    let e = deals.get(id).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    Ok(())
}

#[tokio::test]
async fn builder_mistakes_fail_before_anything_is_sent() {
    let sb = sandbox().await;
    let client = client(&sb);
    let before = sb.http_requests();
    let e = client
        .deals()
        .add(DealFields::new().set("stage_id", StageId("NEW".into())))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.method(), Some("crm.deal.add"));
    let mut batch = Batch::new();
    batch.push(client.leads().add(LeadFields::new().title("fine")));
    batch.push(
        client
            .leads()
            .add(LeadFields::new().email("", bitrix24::crm::EmailType::Work)),
    );
    let e = client.batch(batch).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(sb.http_requests(), before, "nothing was sent");
}

#[tokio::test]
async fn a_bad_answer_names_the_path_and_type_but_not_the_customer_data() {
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(path("/rest/1/s/crm.lead.get"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "result": {"ID": "7", "NAME": "Мария", "DATE_CREATE": "Мария +7 903 555-01-02"}
        })))
        .mount(&server)
        .await;
    let client = bitrix24::Client::from_webhook(&format!("{}/rest/1/s/", server.uri())).unwrap();
    let id = bitrix24::crm::types::LeadId::new(7).unwrap();
    let e = client.leads().get(id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert_eq!(e.method(), Some("crm.lead.get"));
    let shown = e.to_string();
    assert!(shown.contains("`result.DATE_CREATE`"), "{shown}");
    assert!(shown.contains("Lead"), "names the type: {shown}");
    assert!(
        !shown.contains("Мария") && !shown.contains("903"),
        "{shown}"
    );
}
