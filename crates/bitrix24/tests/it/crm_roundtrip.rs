//! Typed CRM models against the sandbox portal: builder-written entities read back typed,
//! multifield merges on update, and typed filters selecting the expected rows.

use bitrix24::crm::types::{Amount, LeadId, LeadStatus};
use bitrix24::crm::{
    EmailType, Filter, Lead, LeadFields, MultifieldKind, Order, PhoneType, Select, ValueType,
};
use bitrix24::{Client, RateLimits};
use bitrix24_sandbox::{Limits, Sandbox};
use serde_json::{json, Value};

async fn portal() -> (Sandbox, Client) {
    let sb = Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .unwrap();
    let c = Client::builder()
        .webhook(&sb.webhook_url())
        .limits(RateLimits::off())
        .build()
        .unwrap();
    (sb, c)
}

async fn add_lead(c: &Client, fields: LeadFields) -> LeadId {
    let r = c
        .call::<LeadId>("crm.lead.add", &fields.add_params().unwrap())
        .await;
    r.unwrap().result
}

async fn get_lead(c: &Client, id: LeadId) -> Lead {
    let v = c
        .call::<Value>("crm.lead.get", &json!({"id": id}))
        .await
        .unwrap();
    Lead::from_value(v.result).unwrap()
}

#[tokio::test]
async fn a_lead_written_by_the_builder_reads_back_typed() {
    let (_sb, c) = portal().await;
    let id = add_lead(
        &c,
        LeadFields::new()
            .title("Website order")
            .name("Иван")
            .status(LeadStatus::InProcess)
            .opportunity(Amount::parse("1250.50").unwrap())
            .currency("RUB")
            .opened(false)
            .phone("+7 903 227-88-74", PhoneType::Mobile)
            .email("ivan@example.com", EmailType::Work),
    )
    .await;
    let lead = get_lead(&c, id).await;
    assert_eq!(lead.id, Some(id));
    assert_eq!(lead.title.as_deref(), Some("Website order"));
    assert_eq!(lead.name.as_deref(), Some("Иван"));
    assert_eq!(lead.status_id, Some(LeadStatus::InProcess));
    assert_eq!(
        lead.opportunity
            .unwrap()
            .cmp_value(&Amount::parse("1250.5").unwrap()),
        std::cmp::Ordering::Equal
    );
    assert_eq!(lead.opened, Some(false));
    assert_eq!(lead.has_phone, Some(true));
    assert!(lead.date_create.is_some());
    assert_eq!(lead.phone.len(), 1);
    assert_eq!(lead.phone[0].value, "+7 903 227-88-74");
    assert_eq!(
        lead.phone[0].value_type,
        ValueType::Phone(PhoneType::Mobile)
    );
    assert_eq!(lead.email[0].value, "ivan@example.com");
}

#[tokio::test]
async fn updates_merge_multifields_by_id() {
    let (_sb, c) = portal().await;
    let id = add_lead(
        &c,
        LeadFields::new()
            .phone("111-1111", PhoneType::Work)
            .phone("222-2222", PhoneType::Home)
            .phone("333-3333", PhoneType::Other),
    )
    .await;
    let stored = get_lead(&c, id).await.phone;
    let find = |v: &str| {
        stored
            .iter()
            .find(|m| m.value == v)
            .and_then(|m| m.id)
            .unwrap()
    };
    let params = LeadFields::new()
        .update_phone(find("111-1111"), "111-9999", PhoneType::Mobile)
        .delete_multifield(MultifieldKind::Phone, find("222-2222"))
        .phone("444-4444", PhoneType::Work)
        .update_params(id)
        .unwrap();
    let updated = c.call::<bool>("crm.lead.update", &params).await.unwrap();
    assert!(updated.result, "crm.lead.update returns true");
    let mut after: Vec<(String, ValueType)> = get_lead(&c, id)
        .await
        .phone
        .into_iter()
        .map(|m| (m.value, m.value_type))
        .collect();
    after.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        after,
        [
            ("111-9999".to_string(), ValueType::Phone(PhoneType::Mobile)),
            ("333-3333".to_string(), ValueType::Phone(PhoneType::Other)),
            ("444-4444".to_string(), ValueType::Phone(PhoneType::Work)),
        ]
    );
}

#[tokio::test]
async fn typed_filters_select_the_expected_leads() {
    let (_sb, c) = portal().await;
    let mut ids = Vec::new();
    for (title, status, phone) in [
        ("Acme one", LeadStatus::New, "+7 (903) 227-88-74"),
        ("acme two", LeadStatus::InProcess, "79032278874"),
        ("Other", LeadStatus::New, "+1 202 555 0100"),
        ("Acme junk", LeadStatus::Junk, "+7 903 000 00 00"),
    ] {
        let f = LeadFields::new()
            .title(title)
            .status(status)
            .phone(phone, PhoneType::Work);
        ids.push(add_lead(&c, f).await);
    }
    let list = |f: Filter| {
        let c = c.clone();
        async move {
            let params = json!({
                "filter": f.into_map().unwrap(),
                "select": Select::new().field("ID").field("TITLE").into_vec().unwrap(),
                "order": Order::new().asc("ID").into_map().unwrap(),
            });
            let rows = c
                .call::<Vec<Lead>>("crm.lead.list", &params)
                .await
                .unwrap()
                .result;
            rows.into_iter()
                .filter_map(|l| l.id)
                .collect::<Vec<LeadId>>()
        }
    };
    assert_eq!(
        list(Filter::new().eq("STATUS_ID", LeadStatus::New)).await,
        [ids[0], ids[2]]
    );
    assert_eq!(
        list(Filter::new().gt("ID", ids[1]).le("ID", ids[2])).await,
        [ids[2]]
    );
    assert_eq!(
        list(Filter::new().in_("ID", [ids[0], ids[3]])).await,
        [ids[0], ids[3]]
    );
    assert_eq!(
        list(
            Filter::new()
                .like("TITLE", "acme")
                .not_in("STATUS_ID", [LeadStatus::Junk])
        )
        .await,
        [ids[0], ids[1]]
    );
    assert_eq!(
        list(Filter::new().like_raw("TITLE", "%junk")).await,
        [ids[3]]
    );
    // The documented quirk: `!%` is not negated on string fields, it matches like `%`.
    assert_eq!(
        list(Filter::new().not_like("TITLE", "junk")).await,
        list(Filter::new().like("TITLE", "junk")).await
    );
    // PHONE is a raw prefix match on the stored text: no normalisation.
    assert_eq!(list(Filter::new().eq("PHONE", "+7 (903)")).await, [ids[0]]);
    assert_eq!(list(Filter::new().eq("PHONE", "7903")).await, [ids[1]]);
}
