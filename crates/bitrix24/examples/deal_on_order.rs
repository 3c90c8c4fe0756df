//! An online shop records a completed order in the CRM: it finds the customer's contact by
//! phone (or creates it) and creates a deal with the amount and currency, the contact and
//! the deal in one `batch` request.
//!
//! ```sh
//! cargo run -p bitrix24 --example deal_on_order                 # against a fresh sandbox
//! B24_WEBHOOK=https://your.bitrix24.com/rest/1/secret/ \
//!   cargo run -p bitrix24 --example deal_on_order               # against your portal
//! ```

use bitrix24::batch::Batch;
use bitrix24::crm::phone::find_by_phone;
use bitrix24::crm::types::{marker, Amount, ContactId, DealId, IdOrHandle};
use bitrix24::crm::{ContactFields, DealFields, EmailType, PhoneType};
use bitrix24::Client;
use bitrix24_sandbox::Sandbox;

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
    // The contact found by phone, or one this batch creates: either goes where a contact id
    // is expected, and the portal fills in the new id before the deal is added.
    let contact: IdOrHandle<marker::Contact> = match existing {
        Some(id) => id.into(),
        None => batch
            .push(
                client.contacts().add(
                    ContactFields::new()
                        .name(&order.customer)
                        .email(&order.email, EmailType::Work)
                        .phone(&order.phone, PhoneType::Mobile),
                ),
            )
            .into(),
    };
    let deal = batch.push(
        client.deals().add(
            DealFields::new()
                .title(format!("Order {}", order.number))
                .opportunity(Amount::parse(&order.amount)?)
                .currency(&order.currency)
                // The shop's order number: lets you find the deal again and spot a repeat.
                .origin("shop", &order.number)
                .contact(&contact),
        ),
    );
    // Stop at the first failure: no deal without its contact.
    batch.halt(true);

    let results = client.batch(batch).await?;
    Ok((contact.resolve(&results)?, results.get(&deal)?))
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

    let read = client.deals().get(deal2).await?;
    println!(
        "deal #{deal2}: {:?} {:?} {:?}, contact {:?}",
        read.title, read.opportunity, read.currency_id, read.contact_id
    );
    assert_eq!(read.contact_id, Some(contact2));
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
