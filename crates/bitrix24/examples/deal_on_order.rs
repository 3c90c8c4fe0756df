//! An online shop records a completed order in the CRM: it finds the customer's contact by
//! phone (or creates it) and creates a deal with the amount and currency, the contact and
//! the deal in one `batch` request.
//!
//! ```sh
//! cargo run -p bitrix24 --example deal_on_order                 # against a fresh sandbox
//! B24_WEBHOOK=https://your.bitrix24.com/rest/1/secret/ \
//!   cargo run -p bitrix24 --example deal_on_order               # against your portal
//! ```

use bitrix24::batch::{Batch, Handle};
use bitrix24::crm::types::{Amount, ContactId, DealId};
use bitrix24::crm::{find_by_phone, ContactFields, DealFields, EmailType, PhoneType};
use bitrix24::Client;
use bitrix24_sandbox::Sandbox;
use serde_json::json;

/// A completed order, as the shop knows it.
struct Order {
    number: String,
    customer: String,
    email: String,
    phone: String,
    /// Exact decimal text: money never goes through a float.
    amount: String,
    currency: String,
}

/// Records `order`: returns the contact and the new deal.
async fn on_order(client: &Client, order: &Order) -> bitrix24::Result<(ContactId, DealId)> {
    let known = find_by_phone(client, &order.phone).await?;
    let existing = known.contacts.first().copied();

    let mut batch = Batch::new();
    let who = match existing {
        Some(id) => Customer::Known(id),
        None => {
            let contact = ContactFields::new()
                .name(&order.customer)
                .email(&order.email, EmailType::Work)
                .phone(&order.phone, PhoneType::Mobile);
            Customer::New(batch.push("contact", "crm.contact.add", &contact.add_params()?))
        }
    };
    // The deal names its contact by id or, for a new contact, by a reference to the result
    // of the command before it, which the portal fills in: all in one request.
    let contact_ref = match &who {
        Customer::Known(id) => json!(id),
        Customer::New(handle) => json!(handle.reference(&[])),
    };
    let deal = DealFields::new()
        .title(&format!("Order {}", order.number))
        .opportunity(Amount::parse(&order.amount)?)
        .currency(&order.currency)
        // The shop's order number: lets you find the deal again and spot a repeated call.
        .origin("shop", &order.number)
        .set("CONTACT_IDS", json!([contact_ref]));
    let deal_handle = batch.push::<DealId>("deal", "crm.deal.add", &deal.add_params()?);
    // Stop at the first failure: no deal without its contact.
    batch.halt(true);

    let results = client.batch(batch).await?;
    let contact = match who {
        Customer::Known(id) => id,
        Customer::New(handle) => results.get(&handle)?,
    };
    Ok((contact, results.get(&deal_handle)?))
}

/// The order's customer: a contact found by phone, or one the batch creates.
enum Customer {
    Known(ContactId),
    New(Handle<ContactId>),
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (_sandbox, client) = connect().await?;

    let first = Order {
        number: "A-1001".into(),
        customer: "Алексей Смирнов".into(),
        email: "alexey@example.com".into(),
        phone: "+7 916 123-45-67".into(),
        amount: "1490.00".into(),
        currency: "RUB".into(),
    };
    let (contact, deal) = on_order(&client, &first).await?;
    println!("order {}: contact #{contact}, deal #{deal}", first.number);

    // A second order from the same customer, phone typed another way: same contact.
    let second = Order {
        number: "A-1002".into(),
        phone: "8 916 123 45 67".into(),
        amount: "259.90".into(),
        ..first
    };
    let (contact2, deal2) = on_order(&client, &second).await?;
    println!(
        "order {}: contact #{contact2}, deal #{deal2}",
        second.number
    );
    assert_eq!(
        contact, contact2,
        "the returning customer keeps one contact"
    );

    let read: serde_json::Value = client
        .call("crm.deal.get", &json!({"id": deal2}))
        .await?
        .result;
    println!(
        "deal #{deal2}: {} {} {}, contact {}",
        read["TITLE"], read["OPPORTUNITY"], read["CURRENCY_ID"], read["CONTACT_ID"]
    );
    Ok(())
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
