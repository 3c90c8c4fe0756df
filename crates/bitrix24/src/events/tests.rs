//! Unit tests of event parsing and verification (protocol.md §7.2, §1d).

use super::*;
use crate::error::ErrorKind;
use proptest::prelude::*;
use secrecy::{ExposeSecret, SecretString};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn lead_add_body(token: &str) -> String {
    format!(
        "event=ONCRMLEADADD&event_handler_id=185&data%5BFIELDS%5D%5BID%5D=7405&ts=1766047124\
         &auth%5Baccess_token%5D=acc-secret&auth%5Bexpires%5D=1766050724&auth%5Bexpires_in%5D=3600\
         &auth%5Bscope%5D=crm&auth%5Bdomain%5D=example.bitrix24.com\
         &auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F&auth%5Bstatus%5D=L\
         &auth%5Bclient_endpoint%5D=https%3A%2F%2Fexample.bitrix24.com%2Frest%2F\
         &auth%5Bmember_id%5D=m1&auth%5Buser_id%5D=1&auth%5Bapplication_token%5D={token}"
    )
}

/// protocol.md §7.2: the documented wire shape decodes into a typed lead event with the
/// common fields and tokens.
#[test]
fn lead_add_decodes_with_common_fields() {
    let e = parse_event(lead_add_body(TOKEN).as_bytes()).unwrap();
    assert_eq!(e.name, "ONCRMLEADADD");
    assert!(matches!(e.kind, EventKind::LeadAdd(id) if id.get() == 7405));
    assert_eq!((e.handler_id, e.ts), (Some(185), Some(1_766_047_124)));
    assert_eq!(e.auth.domain.as_deref(), Some("example.bitrix24.com"));
    assert_eq!(e.auth.member_id.as_deref(), Some("m1"));
    assert_eq!(
        e.auth.client_endpoint.as_deref(),
        Some("https://example.bitrix24.com/rest/")
    );
    let t = e.auth.tokens.as_ref().unwrap();
    assert_eq!(t.access_token.expose_secret(), "acc-secret");
    assert_eq!((t.expires_in, t.user_id), (Some(3600), Some(1)));
    assert!(t.refresh_token.is_none());
}

/// Numbers of an event call outside their meaning are dropped, never taken as they are: a
/// negative lifetime would make the tokens expire at once, a NaN `ts` is no time.
#[test]
fn hostile_numbers_in_an_event_are_dropped() {
    for bad in [
        "NaN",
        "inf",
        "-1",
        "0",
        "1e999",
        "1.5",
        "99999999999999999999",
        "x",
    ] {
        let body = format!(
            "event=ONCRMLEADADD&data[FIELDS][ID]=7&event_handler_id={bad}&ts={bad}\
             &auth[access_token]=a&auth[expires]={bad}&auth[expires_in]={bad}&auth[user_id]={bad}"
        );
        let e = parse_event(body.as_bytes()).unwrap();
        let t = e.auth.tokens.unwrap();
        let numbers = (e.handler_id, t.expires_in, t.user_id);
        assert_eq!(numbers, (None, None, None), "{bad}");
        if !["0", "1.5"].contains(&bad) {
            // 0 is a unix time (1970), 1.5 one with a fraction (cut): both stay.
            assert_eq!((e.ts, t.expires), (None, None), "{bad}");
        }
    }
}

/// Secrets never show in Debug output.
#[test]
fn debug_redacts_tokens() {
    let e = parse_event(lead_add_body(TOKEN).as_bytes()).unwrap();
    let dbg = format!("{e:?}");
    assert!(!dbg.contains("acc-secret") && !dbg.contains(TOKEN), "{dbg}");
    assert!(dbg.contains("REDACTED") && dbg.contains("example.bitrix24.com"));
}

/// protocol.md §5.9 / §1d: each CRM entity gets its typed variant; install carries tokens,
/// uninstall its flags; anything else is Unknown with the raw data.
#[test]
fn kinds_of_events() {
    let body = |event: &str, rest: &str| format!("event={event}&data[FIELDS][ID]=3{rest}");
    let kind = |b: String| parse_event(b.as_bytes()).unwrap().kind;
    assert!(
        matches!(kind(body("ONCRMDEALUPDATE", "")), EventKind::DealUpdate(id) if id.get() == 3)
    );
    assert!(matches!(
        kind(body("oncrmcontactdelete", "")),
        EventKind::ContactDelete(_)
    ));
    assert!(matches!(
        kind(body("ONCRMCOMPANYADD", "")),
        EventKind::CompanyAdd(_)
    ));
    let install = "event=ONAPPINSTALL&data[VERSION]=3&data[ACTIVE]=Y&data[INSTALLED]=Y\
                   &data[LANGUAGE_ID]=de&auth[access_token]=a&auth[refresh_token]=r";
    match parse_event(install.as_bytes()).unwrap().kind {
        EventKind::AppInstall(i) => {
            assert_eq!(i.version.as_deref(), Some("3"));
            assert!(i.active && i.installed);
            assert_eq!(i.tokens.refresh_token.unwrap().expose_secret(), "r");
        }
        other => panic!("{other:?}"),
    }
    match kind("event=ONAPPUNINSTALL&data[LANGUAGE_ID]=en&data[CLEAN]=1".into()) {
        EventKind::AppUninstall(u) => assert!(u.clean),
        other => panic!("{other:?}"),
    }
    match kind("event=ONTASKADD&data[FIELDS_AFTER][ID]=9".into()) {
        EventKind::Unknown { name, raw } => {
            assert_eq!(name, "ONTASKADD");
            assert_eq!(raw["FIELDS_AFTER"]["ID"], "9");
        }
        other => panic!("{other:?}"),
    }
}

/// Malformed bodies are Event errors: no event name, a CRM event without a valid id, an
/// install without tokens.
#[test]
fn malformed_bodies_are_event_errors() {
    for body in [
        "",
        "data[FIELDS][ID]=1",
        "event=ONCRMLEADADD",
        "event=ONCRMLEADADD&data[FIELDS][ID]=0",
        "event=ONCRMLEADADD&data[FIELDS][ID]=abc",
        "event=ONAPPINSTALL&data[VERSION]=1",
    ] {
        let err = parse_event(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Event, "{body}");
    }
}

/// protocol.md §1d: verification compares auth[application_token]; missing or wrong tokens
/// are Event errors that never echo a token.
#[test]
fn verify_accepts_only_the_stored_token() {
    let good = parse_event(lead_add_body(TOKEN).as_bytes()).unwrap();
    assert!(verify(&good, &SecretString::from(TOKEN)).is_ok());
    let forged = parse_event(lead_add_body("ffffffffffffffffffffffffffffffff").as_bytes()).unwrap();
    let err = verify(&forged, &SecretString::from(TOKEN)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Event);
    assert!(!err.to_string().contains(TOKEN) && !err.to_string().contains("ffff"));
    let bare = parse_event(b"event=ONCRMLEADADD&data[FIELDS][ID]=1").unwrap();
    let err = verify(&bare, &SecretString::from(TOKEN)).unwrap_err();
    assert!(err.to_string().contains("no auth[application_token]"));
}

/// A multi-portal verifier refuses unknown portals and checks known ones.
#[test]
fn verifier_by_portal() {
    let v = Verifier::by_portal(|member| (member == "m1").then(|| SecretString::from(TOKEN)));
    assert!(v.parse_and_verify(lead_add_body(TOKEN).as_bytes()).is_ok());
    let other = lead_add_body(TOKEN).replace("member_id%5D=m1", "member_id%5D=m2");
    let err = v.parse_and_verify(other.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("unknown portal"));
    let err = v
        .parse_and_verify(b"event=X&data[FIELDS][ID]=1")
        .unwrap_err();
    assert!(err.to_string().contains("no auth[member_id]"));
    assert!(Verifier::single(SecretString::from(TOKEN))
        .parse_and_verify(lead_add_body("x").as_bytes())
        .is_err());
}

proptest! {
    /// Random bytes never panic: they decode or give an Event error.
    #[test]
    fn random_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = parse_event(&body) {
            prop_assert_eq!(e.kind(), ErrorKind::Event);
        }
    }

    /// Random form-shaped bodies (brackets, percent signs, known names) never panic either.
    #[test]
    fn random_form_bodies_never_panic(body in "(event|data|auth|ts|\\[|\\]|%5B|%5D|=|&|FIELDS|ID|ONCRMLEADADD|ONAPPINSTALL|[0-9a-z%+]){0,80}") {
        let v = Verifier::single(SecretString::from(TOKEN));
        if let Err(e) = v.parse_and_verify(body.as_bytes()) {
            prop_assert_eq!(e.kind(), ErrorKind::Event);
        }
    }
}
