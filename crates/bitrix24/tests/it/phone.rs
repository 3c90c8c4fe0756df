//! Phone search: `find_by_phone` across stored formats and entity types against the sandbox,
//! and the exact `crm.duplicate.findbycomm` requests (chunks of 20, one per entity type).

use bitrix24::crm::phone::{find_by_phone, find_by_phones};
use bitrix24::crm::types::{CompanyId, ContactId, LeadId};
use bitrix24::crm::{CompanyFields, ContactFields, LeadFields, PhoneType};
use bitrix24::{Client, ErrorKind, RateLimits};
use bitrix24_sandbox::{Limits, Sandbox};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

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

async fn add<T: serde::de::DeserializeOwned>(c: &Client, method: &str, params: Value) -> T {
    c.call::<T>(method, &params).await.unwrap().result
}

#[tokio::test]
async fn any_spelling_finds_every_entity_type() {
    let (_sb, c) = portal().await;
    let lead: LeadId = add(
        &c,
        "crm.lead.add",
        LeadFields::new()
            .phone("+7 (903) 227-88-74", PhoneType::Work)
            .add_params()
            .unwrap(),
    )
    .await;
    let contact: ContactId = add(
        &c,
        "crm.contact.add",
        ContactFields::new()
            .name("Ivan")
            .phone("8 903 2278874", PhoneType::Mobile)
            .add_params()
            .unwrap(),
    )
    .await;
    let company: CompanyId = add(
        &c,
        "crm.company.add",
        CompanyFields::new()
            .title("Acme")
            .phone("79032278874;12", PhoneType::Work)
            .add_params()
            .unwrap(),
    )
    .await;
    // A different number must not match.
    let _other: LeadId = add(
        &c,
        "crm.lead.add",
        LeadFields::new()
            .phone("+7 903 227-88-75", PhoneType::Work)
            .add_params()
            .unwrap(),
    )
    .await;

    for query in ["8 903 227-88-74", "+7 903 227 88 74", "79032278874 #5"] {
        let m = find_by_phone(&c, query).await.unwrap();
        assert_eq!(m.leads, [lead], "{query}");
        assert_eq!(m.contacts, [contact], "{query}");
        assert_eq!(m.companies, [company], "{query}");
        assert!(!m.may_be_truncated);
    }
    let none = find_by_phone(&c, "+1 202 555 0100").await.unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn twenty_leads_do_not_hide_the_contact() {
    let (_sb, c) = portal().await;
    for _ in 0..20 {
        let _: LeadId = add(
            &c,
            "crm.lead.add",
            LeadFields::new()
                .phone("+49 30 1234567", PhoneType::Work)
                .add_params()
                .unwrap(),
        )
        .await;
    }
    let contact: ContactId = add(
        &c,
        "crm.contact.add",
        ContactFields::new()
            .name("Eva")
            .phone("0049 30 1234567", PhoneType::Work)
            .add_params()
            .unwrap(),
    )
    .await;
    // One combined call loses the contact: the portal stops after 20 matches of one type.
    let combined: Value = c
        .call::<Value>(
            "crm.duplicate.findbycomm",
            &json!({"type": "PHONE", "values": ["+49 30 1234567"]}),
        )
        .await
        .unwrap()
        .result;
    assert!(combined.get("CONTACT").is_none(), "{combined}");

    let m = find_by_phone(&c, "+49 30 1234567").await.unwrap();
    assert_eq!(m.leads.len(), 20);
    assert_eq!(m.contacts, [contact]);
    assert!(m.may_be_truncated, "20 leads is the cap, more may exist");
}

#[tokio::test]
async fn many_numbers_go_in_chunks_of_twenty_per_entity_type_in_one_batch() {
    let server = MockServer::start().await;
    let found: serde_json::Map<String, Value> = (0..6)
        .map(|k| (k.to_string(), json!({"LEAD": [7]})))
        .collect();
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": {
            "result": found, "result_error": [], "result_total": [], "result_next": [],
            "result_time": []
        }})))
        .mount(&server)
        .await;
    let c = Client::builder()
        .webhook(&format!("{}/rest/1/abcdef123456/", server.uri()))
        .limits(RateLimits::off())
        .build()
        .unwrap();
    // 25 distinct numbers plus two spellings of the first one.
    let mut numbers: Vec<String> = (0..25).map(|i| format!("+1 202 555 01{i:02}")).collect();
    numbers.push("1 (202) 555-0100".into());
    numbers.push("no digits".into());
    let m = find_by_phones(&c, &numbers).await.unwrap();
    assert_eq!(m.leads.iter().map(|i| i.get()).collect::<Vec<_>>(), [7]);
    assert!(m.contacts.is_empty() && m.companies.is_empty());

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "every search in one request");
    assert!(requests[0].url.path().ends_with("/batch"));
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&requests[0].body)
        .into_owned()
        .collect();
    let shapes: Vec<(String, String, usize)> = form
        .iter()
        .filter(|(k, _)| k.starts_with("cmd["))
        .map(|(_, line)| {
            let (method, query) = line.split_once('?').unwrap();
            assert_eq!(method, "crm.duplicate.findbycomm");
            let q: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            let get = |k: &str| {
                q.iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            assert_eq!(get("type"), "PHONE");
            let values = q.iter().filter(|(k, _)| k.starts_with("values[")).count();
            (get("entity_type"), get("values[0]"), values)
        })
        .collect();
    assert_eq!(
        shapes,
        [
            ("LEAD".into(), "+1 202 555 0100".into(), 20),
            ("CONTACT".into(), "+1 202 555 0100".into(), 20),
            ("COMPANY".into(), "+1 202 555 0100".into(), 20),
            ("LEAD".into(), "+1 202 555 0120".into(), 5),
            ("CONTACT".into(), "+1 202 555 0120".into(), 5),
            ("COMPANY".into(), "+1 202 555 0120".into(), 5),
        ]
    );
}

#[tokio::test]
async fn a_number_without_digits_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let c = Client::builder()
        .webhook(&format!("{}/rest/1/abcdef123456/", server.uri()))
        .build()
        .unwrap();
    let e = find_by_phone(&c, "call me maybe").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = find_by_phones(&c, Vec::<&str>::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// With E.164 on write, every spelling is stored alike, so even the raw-prefix list filter
/// finds them all.
#[cfg(feature = "phone")]
#[tokio::test]
async fn e164_on_write_makes_stored_numbers_uniform() {
    use bitrix24::crm::phone::PhoneFormat;
    use bitrix24::crm::phone::Region;
    use bitrix24::crm::{Filter, Lead};

    let (_sb, c) = portal().await;
    let ru: Region = "RU".parse().unwrap();
    let mut ids = Vec::new();
    for raw in ["8 903 227-88-74", "+7 (903) 227 88 74", "8(903)2278874"] {
        let fields = LeadFields::new()
            .phone_format(PhoneFormat::E164(ru))
            .phone(raw, PhoneType::Work);
        ids.push(add::<LeadId>(&c, "crm.lead.add", fields.add_params().unwrap()).await);
    }
    let filter = Filter::new().eq("PHONE", "+7903").into_map().unwrap();
    let rows: Vec<Lead> = c
        .call(
            "crm.lead.list",
            &json!({"filter": filter, "select": ["ID", "PHONE"]}),
        )
        .await
        .unwrap()
        .result;
    assert_eq!(rows.iter().filter_map(|l| l.id).collect::<Vec<_>>(), ids);
    assert!(rows.iter().all(|l| l.phone[0].value == "+79032278874"));
    let m = find_by_phone(&c, "79032278874").await.unwrap();
    assert_eq!(m.leads, ids);

    // A number that cannot be read in the region fails the builder, before any request.
    let bad = LeadFields::new()
        .phone_format(PhoneFormat::E164(ru))
        .phone("12", PhoneType::Work);
    assert_eq!(
        bad.add_params().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

proptest::proptest! {
    /// The client's normalisation and the sandbox's match codes were each written from the
    /// portal's `NormalizePhone`; they must agree on any phone-like text, or `find_by_phones`
    /// would collapse values the portal keeps apart.
    #[test]
    fn normalisation_agrees_with_the_sandbox_match_codes(
        raw in "[+0-9 ()#*,;x８-]{0,24}"
    ) {
        use bitrix24_sandbox::methods::crm::duplicate::codes::phone_code;
        proptest::prop_assert_eq!(bitrix24::crm::phone::normalize_for_search(&raw), phone_code(&raw));
    }
}
