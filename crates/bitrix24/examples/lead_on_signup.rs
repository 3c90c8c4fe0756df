//! A web app creates a CRM lead when a user registers: name, e-mail, phone and the UTM tags
//! of the visit, deduplicated by phone first (a returning visitor does not become a second
//! lead, whatever format they type the number in).
//!
//! ```sh
//! cargo run -p bitrix24 --example lead_on_signup                 # against a fresh sandbox
//! B24_WEBHOOK=https://your.bitrix24.com/rest/1/secret/ \
//!   cargo run -p bitrix24 --example lead_on_signup               # against your portal
//! ```

use bitrix24::crm::phone::find_by_phone;
use bitrix24::crm::types::LeadId;
use bitrix24::crm::{EmailType, LeadFields, PhoneType};
use bitrix24::Client;
use bitrix24_sandbox::Sandbox;

/// What the signup form posted.
struct Signup {
    name: String,
    email: String,
    phone: String,
    utm_source: String,
    utm_medium: String,
    utm_campaign: String,
}

/// Whether the signup made a new lead or matched one.
enum Outcome {
    Created(LeadId),
    AlreadyKnown(LeadId),
}

/// The signup handler's CRM part. Call it after the user is saved in your own database.
async fn on_signup(client: &Client, s: &Signup) -> bitrix24::Result<Outcome> {
    // Duplicate search compares normalised numbers, so "+7 903 …" finds "8 (903) …".
    // (A list filter on PHONE would not: it is a prefix match on the stored text.)
    let known = find_by_phone(client, &s.phone).await?;
    if let Some(id) = known.leads.first() {
        return Ok(Outcome::AlreadyKnown(*id));
    }
    let fields = LeadFields::new()
        .title(format!("Signup: {}", s.name))
        .name(&s.name)
        .email(&s.email, EmailType::Work)
        .phone(&s.phone, PhoneType::Mobile)
        .utm_source(&s.utm_source)
        .utm_medium(&s.utm_medium)
        .utm_campaign(&s.utm_campaign)
        .opened(true);
    let id = client.leads().add(fields).await?;
    Ok(Outcome::Created(id))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the sandbox alive as long as the client talks to it.
    let (_sandbox, client) = connect().await?;

    let signup = Signup {
        name: "Мария".into(),
        email: "maria@example.com".into(),
        phone: "8 (903) 555-01-02".into(),
        utm_source: "google".into(),
        utm_medium: "cpc".into(),
        utm_campaign: "spring_sale".into(),
    };
    let first = on_signup(&client, &signup).await?;
    println!("first signup:  {}", describe(&first));

    // The same person signs up again from another device and types the number differently.
    let again = Signup {
        phone: "+7 903 555 01 02".into(),
        ..signup
    };
    let second = on_signup(&client, &again).await?;
    println!("second signup: {}", describe(&second));
    if let (Outcome::Created(a), Outcome::AlreadyKnown(b)) = (&first, &second) {
        assert_eq!(
            a, b,
            "the returning visitor matched the lead made at the first signup"
        );
        let lead = client.leads().get(*a).await?;
        println!(
            "lead #{a}: {:?} from {:?}/{:?}/{:?}",
            lead.title, lead.utm_source, lead.utm_medium, lead.utm_campaign
        );
    }
    Ok(())
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Created(id) => format!("created lead #{id}"),
        Outcome::AlreadyKnown(id) => format!("already known as lead #{id}, nothing added"),
    }
}

/// A client for `$B24_WEBHOOK`, or for a sandbox portal started here when it is not set.
async fn connect() -> Result<(Option<Sandbox>, Client), Box<dyn std::error::Error>> {
    if let Ok(url) = std::env::var("B24_WEBHOOK") {
        return Ok((None, Client::from_webhook(&url)?));
    }
    let sandbox = Sandbox::builder().start().await?;
    println!(
        "B24_WEBHOOK is not set: using a sandbox portal at {}",
        sandbox.url()
    );
    let client = Client::from_webhook(&sandbox.webhook_url())?;
    Ok((Some(sandbox), client))
}
