//! Typed CRM models without a portal: decoding the documented payloads, and the exact wire
//! shape of the field builders, filters, select and order.

use bitrix24::crm::types::{
    Amount, CompanyId, ContactId, DealType, LeadId, LeadStatus, MultifieldId, Semantic, Source,
    StageId, UserId,
};
use bitrix24::crm::{
    Company, Contact, CrmItem, Deal, DealFields, EmailType, EntityType, Filter, Lead, LeadFields,
    MultifieldKind, Order, PhoneType, Select, ValueType,
};
use bitrix24::encode::to_form;
use bitrix24::ErrorKind;
use serde_json::{json, Value};
use time::macros::{date, datetime};

fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

#[test]
fn a_documented_lead_get_decodes_into_types() {
    // Shape of the `crm.lead.get` example in the docs: every scalar a string, empty dates "".
    let lead = Lead::from_value(json!({
        "ID": "3465", "TITLE": "Lead #3465", "HONORIFIC": null, "NAME": "Иван",
        "SECOND_NAME": "", "LAST_NAME": "Petrov", "BIRTHDATE": "", "STATUS_ID": "UC_4XK2",
        "STATUS_SEMANTIC_ID": "P", "SOURCE_ID": "CALL", "OPPORTUNITY": "12345678901234.56",
        "CURRENCY_ID": "RUB", "IS_MANUAL_OPPORTUNITY": "N", "ASSIGNED_BY_ID": "1",
        "COMPANY_ID": null, "CONTACT_ID": "0", "OPENED": "Y", "HAS_PHONE": "Y",
        "HAS_EMAIL": "N", "DATE_CREATE": "2024-05-23T18:18:25+02:00", "DATE_MODIFY": "",
        "UF_CRM_1700000001": "blue", "UF_CRM_1700000002": "", "SOMETHING_NEW": 5,
        "PHONE": [{"ID": "11658", "VALUE_TYPE": "WORK", "VALUE": "+15454777777", "TYPE_ID": "PHONE"}]
    }))
    .unwrap();
    assert_eq!(lead.id, Some(id::<LeadId>("3465")));
    assert_eq!(lead.name.as_deref(), Some("Иван"));
    assert_eq!(lead.second_name, None);
    assert_eq!(lead.birthdate, None);
    assert_eq!(lead.status_id, Some(LeadStatus::Unknown("UC_4XK2".into())));
    assert_eq!(lead.status_semantic_id, Some(Semantic::Process));
    assert_eq!(lead.source_id, Some(Source::Call));
    assert_eq!(
        lead.opportunity.as_ref().map(Amount::as_str),
        Some("12345678901234.56")
    );
    assert_eq!(lead.assigned_by_id, Some(id::<UserId>("1")));
    assert_eq!((lead.company_id, lead.contact_id), (None, None));
    assert_eq!((lead.opened, lead.has_email), (Some(true), Some(false)));
    assert_eq!(
        lead.date_create,
        Some(datetime!(2024-05-23 18:18:25 +02:00))
    );
    assert_eq!(lead.date_modify, None);
    assert_eq!(lead.phone.len(), 1);
    assert_eq!(lead.phone[0].value_type, ValueType::Phone(PhoneType::Work));
    assert_eq!(lead.phone[0].id, Some(id::<MultifieldId>("11658")));
    assert_eq!(lead.user_field("UF_CRM_1700000001"), Some(&json!("blue")));
    assert_eq!(lead.user_field("UF_CRM_1700000002"), None);
    assert_eq!(lead.user_fields().count(), 2);
    assert_eq!(lead.extra["SOMETHING_NEW"], json!(5));
}

#[test]
fn deals_contacts_and_companies_decode_their_quirks() {
    let deal = Deal::from_value(json!({
        "ID": "7", "STAGE_ID": "C9:UC_KN8KFI", "CATEGORY_ID": "9", "TYPE_ID": "SALE",
        "COMPANY_ID": "0", "CONTACT_ID": "12", "BEGINDATE": "2024-01-15T00:00:00+03:00",
        "CLOSEDATE": "", "PROBABILITY": null, "CLOSED": "N", "OPPORTUNITY": "0.00"
    }))
    .unwrap();
    let stage = deal.stage_id.unwrap();
    assert_eq!((stage.category_id(), stage.code()), (9, "UC_KN8KFI"));
    assert_eq!(deal.category_id, Some(9));
    assert_eq!(deal.type_id, Some(DealType::Sale));
    assert_eq!(deal.company_id, None);
    assert_eq!(deal.contact_id, Some(id::<ContactId>("12")));
    // Local midnight in +03:00 is still the 15th, not the 14th in UTC.
    assert_eq!(deal.begindate, Some(date!(2024 - 01 - 15)));
    assert_eq!((deal.closedate, deal.probability), (None, None));

    let contact = Contact::from_value(json!({"ID": "3", "EMAIL": [
        {"ID": "9", "VALUE_TYPE": "HOME", "VALUE": "a@b.c", "TYPE_ID": "EMAIL"}], "PHONE": null}))
    .unwrap();
    assert_eq!(
        contact.email[0].value_type,
        ValueType::Email(EmailType::Home)
    );
    assert!(contact.phone.is_empty());
    let company =
        Company::from_value(json!({"ID": 4, "REVENUE": 1000000.5, "IS_MY_COMPANY": "N"})).unwrap();
    assert_eq!(company.id, Some(id::<CompanyId>("4")));
    assert_eq!(company.revenue.unwrap().as_str(), "1000000.5");
}

#[test]
fn crm_items_decode_camel_case_with_integer_ids() {
    let item = CrmItem::from_value(json!({
        "id": 42, "entityTypeId": 2, "title": "Deal", "stageId": "NEW", "categoryId": 0,
        "opportunity": 1500.75, "assignedById": 1, "companyId": 0, "contactIds": [3, 5],
        "opened": "Y", "createdTime": "2024-05-23T18:18:25+03:00", "ufCrm_1721244707107": "x",
        "fm": [{"id": 1, "typeId": "PHONE", "valueType": "MOBILE", "value": "+100"}]
    }))
    .unwrap();
    assert_eq!(item.id, Some(42));
    assert_eq!(item.entity_type_id, Some(EntityType::Deal));
    assert_eq!(
        item.opportunity.as_ref().map(Amount::as_str),
        Some("1500.75")
    );
    assert_eq!(item.company_id, None);
    assert_eq!(item.contact_ids, [id::<ContactId>("3"), id("5")]);
    assert_eq!(item.opened, Some(true));
    assert_eq!(item.multifields(MultifieldKind::Phone).count(), 1);
    assert_eq!(item.extra["ufCrm_1721244707107"], "x");
}

#[test]
fn a_wrong_field_shape_names_the_field() {
    let e = Lead::from_value(json!({"ID": "1", "DATE_CREATE": "yesterday"})).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert!(e.to_string().contains("DATE_CREATE"), "{e}");
    let e = Deal::from_value(json!({"COMPANY_ID": "abc"})).unwrap_err();
    assert!(e.to_string().contains("COMPANY_ID"), "{e}");
    // Missing and unknown fields never fail.
    assert_eq!(Lead::from_value(json!({})).unwrap(), Lead::default());
}

#[test]
fn lead_fields_serialize_to_the_documented_fields_map() {
    let fields = LeadFields::new()
        .title("Website order")
        .name("Иван")
        .status(LeadStatus::New)
        .opportunity(Amount::parse("99999999999.99").unwrap())
        .opened(false)
        .birthdate(date!(1990 - 05 - 20))
        .phone("+7 903 227-88-74", PhoneType::Mobile)
        .email("ivan@example.com", EmailType::Work)
        .user_field("UF_CRM_1700000001", "blue");
    let params = fields.add_params().unwrap();
    assert_eq!(
        params["fields"],
        json!({
            "TITLE": "Website order", "NAME": "Иван", "STATUS_ID": "NEW",
            "OPPORTUNITY": "99999999999.99", "OPENED": "N", "BIRTHDATE": "1990-05-20",
            "UF_CRM_1700000001": "blue",
            "PHONE": [{"VALUE": "+7 903 227-88-74", "VALUE_TYPE": "MOBILE"}],
            "EMAIL": [{"VALUE": "ivan@example.com", "VALUE_TYPE": "WORK"}]
        })
    );
    // `false` must go out as "N": the form encoder would send a bare bool as 0.
    let form = to_form(&params).unwrap();
    assert!(form.contains("fields[OPENED]=N"), "{form}");
    assert!(
        form.contains("fields[PHONE][0][VALUE_TYPE]=MOBILE"),
        "{form}"
    );
}

#[test]
fn update_fields_carry_ids_and_delete_markers() {
    let (a, b): (MultifieldId, MultifieldId) = (id("11"), id("12"));
    let params = LeadFields::new()
        .update_phone(a, "+1 202 555 0100", PhoneType::Work)
        .delete_multifield(MultifieldKind::Phone, b)
        .phone("+1 202 555 0199", PhoneType::Home)
        .update_params(id::<LeadId>("5"))
        .unwrap();
    assert_eq!(params["id"], 5);
    assert_eq!(
        params["fields"]["PHONE"],
        json!([
            {"ID": 11, "VALUE": "+1 202 555 0100", "VALUE_TYPE": "WORK"},
            {"ID": 12, "DELETE": "Y"},
            {"VALUE": "+1 202 555 0199", "VALUE_TYPE": "HOME"}
        ])
    );
    let deal = DealFields::new()
        .stage(StageId::new(3, "WON"))
        .contacts([id::<ContactId>("1"), id("2")])
        .to_map()
        .unwrap();
    assert_eq!(deal["STAGE_ID"], "C3:WON");
    assert_eq!(deal["CONTACT_IDS"], json!([1, 2]));
}

#[test]
fn field_builders_refuse_what_the_portal_would_swallow() {
    let cases = [
        LeadFields::new().phone("   ", PhoneType::Work),
        LeadFields::new().set("title", "x"),
        LeadFields::new().user_field("CRM_X", 1),
        LeadFields::new()
            .set("PHONE", "x")
            .phone("1", PhoneType::Work),
        LeadFields::new().email("a".repeat(251), EmailType::Work),
    ];
    for (i, f) in cases.into_iter().enumerate() {
        let e = f.to_map().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "case {i}: {e}");
        // A request built from it carries the same mistake instead of sending a guess.
        let request = offline_client().leads().add(f);
        assert_eq!(
            request.params().unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
}

#[test]
fn filter_writes_every_operator_prefix() {
    let map = Filter::new()
        .eq("STATUS_ID", LeadStatus::New)
        .ne("SOURCE_ID", "CALL")
        .gt("ID", 5)
        .ge("OPPORTUNITY", Amount::from(10))
        .lt("ID", id::<LeadId>("100"))
        .le("DATE_CREATE", datetime!(2024-05-23 18:18:25 +02:00))
        .in_("ASSIGNED_BY_ID", [1, 2])
        .not_in("STATUS_ID", ["JUNK"])
        .like("TITLE", "acme")
        .like_raw("NAME", "Iv%")
        .not_like("COMMENTS", "spam")
        .not_like_raw("LAST_NAME", "%ov")
        .eq("OPENED", true)
        .eq("PHONE", "+7 903")
        .into_map()
        .unwrap();
    assert_eq!(
        Value::Object(map),
        json!({
            "STATUS_ID": "NEW", "!SOURCE_ID": "CALL", ">ID": 5, ">=OPPORTUNITY": "10",
            "<ID": 100, "<=DATE_CREATE": "2024-05-23T18:18:25+02:00",
            "@ASSIGNED_BY_ID": [1, 2], "!@STATUS_ID": ["JUNK"], "%TITLE": "acme",
            "=%NAME": "Iv%", "!%COMMENTS": "spam", "!=%LAST_NAME": "%ov", "OPENED": "Y",
            "PHONE": "+7 903"
        })
    );
}

#[test]
fn filter_select_and_order_refuse_silently_dropped_input() {
    for bad in [
        Filter::new().eq("title", "x"),
        Filter::new().gt(">ID", 1),
        Filter::new().like("TITLE", "50%"),
        Filter::new().like("PHONE", "903"),
        Filter::new().gt("EMAIL", "a"),
        Filter::new().eq("", 1),
    ] {
        let e = bad.clone().into_map().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }
    let e = Filter::new().eq("title", 1).into_map().unwrap_err();
    assert!(
        e.to_string().contains("TITLE"),
        "the message suggests the fix: {e}"
    );
    let sel = Select::new()
        .all()
        .user_fields()
        .phone()
        .phone()
        .field("UF_CRM_1")
        .into_vec();
    assert_eq!(sel.unwrap(), ["*", "UF_*", "PHONE", "UF_CRM_1"]);
    assert!(Select::new().field("name").into_vec().is_err());
    let order = Order::new()
        .desc("DATE_CREATE")
        .asc("ID")
        .into_map()
        .unwrap();
    assert_eq!(
        Value::Object(order),
        json!({"DATE_CREATE": "DESC", "ID": "ASC"})
    );
    assert!(Order::new().asc("id").into_map().is_err());
}

/// A client that is never used to send: the requests it builds are only inspected.
fn offline_client() -> bitrix24::Client {
    bitrix24::Client::from_webhook("https://portal.example.com/rest/1/secret/").unwrap()
}
