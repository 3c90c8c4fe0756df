//! An online shop records a completed order in the CRM: it finds the customer's contact by
//! phone (or creates it), then creates the deal bound to that contact, puts the order's
//! lines on it as product rows and leaves a comment on its timeline — the contact, the deal,
//! the rows and the comment in one `batch` request. The deal's amount is the one the portal
//! computes from the rows.
//!
//! ```sh
//! cargo run -p bitrix24 --example deal_on_order                 # against a fresh sandbox
//! B24_WEBHOOK=https://your.bitrix24.com/rest/1/secret/ \
//!   cargo run -p bitrix24 --example deal_on_order               # against your portal
//! ```

use bitrix24::batch::Batch;
use bitrix24::crm::phone::find_by_phone;
use bitrix24::crm::productrow::{Discount, ProductRow, ProductRowFields};
use bitrix24::crm::types::{marker, Amount, ContactId, DealId, IdOrHandle};
use bitrix24::crm::{ContactFields, DealFields, EmailType, Owner, PhoneType};
use bitrix24::Client;
use bitrix24_sandbox::Sandbox;

/// A completed order, as the shop knows it.
struct Order {
    number: String,
    customer: String,
    email: String,
    phone: String,
    lines: Vec<Line>,
    currency: String,
}

/// One line of the order.
#[derive(Clone)]
struct Line {
    name: &'static str,
    /// Exact decimal text: money never goes through a float.
    unit_price: &'static str,
    quantity: u32,
    /// Percent off, if any.
    discount: Option<u32>,
}

/// What the CRM holds for an order.
struct Recorded {
    contact: ContactId,
    deal: DealId,
    rows: Vec<ProductRow>,
}

/// Records `order`: the contact (found or new), the deal bound to it with the order's rows
/// and a timeline comment, in one batch request after the phone search.
async fn on_order(client: &Client, order: &Order) -> bitrix24::Result<Recorded> {
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
                .currency(&order.currency)
                // The shop's order number: lets you find the deal again and spot a repeat.
                .origin("shop", &order.number)
                .contacts([&contact]),
        ),
    );
    // The rows of the deal this batch creates: the portal fills in its id, stores the rows
    // and recomputes the deal's OPPORTUNITY from them.
    let owner = Owner::deal(&deal);
    let mut rows = Vec::new();
    for (i, line) in order.lines.iter().enumerate() {
        let mut row = ProductRowFields::new(line.name, Amount::parse(line.unit_price)?)
            .quantity(Amount::from(line.quantity))
            .sort((i as i64 + 1) * 10);
        if let Some(percent) = line.discount {
            row = row.discount(Discount::Percent(Amount::from(percent)));
        }
        rows.push(row);
    }
    let rows = batch.push(client.product_rows().set(&owner, rows));
    batch.push(client.timeline().comment(
        &owner,
        format!("Order {} paid online by {}", order.number, order.customer),
    ));
    // Stop at the first failure: no deal without its contact, no rows without their deal.
    batch.halt(true);

    let results = client.batch(batch).await?;
    Ok(Recorded {
        contact: contact.resolve(&results)?,
        deal: results.get(&deal)?,
        rows: results.get(&rows)?,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (_sandbox, client) = connect().await?;

    let lines = vec![
        Line {
            name: "Kettle",
            unit_price: "1490.00",
            quantity: 1,
            discount: None,
        },
        Line {
            name: "Mug",
            unit_price: "259.90",
            quantity: 4,
            discount: Some(10),
        },
        Line {
            name: "Delivery",
            unit_price: "300",
            quantity: 1,
            discount: None,
        },
    ];
    let first = Order {
        number: "A-1001".into(),
        customer: "Алексей Смирнов".into(),
        email: "alexey@example.com".into(),
        phone: "+7 916 123-45-67".into(),
        lines: lines.clone(),
        currency: "RUB".into(),
    };
    let a = on_order(&client, &first).await?;
    report(&client, &first, &a).await?;

    // A second order from the same customer, phone typed another way: same contact.
    let second = Order {
        number: "A-1002".into(),
        phone: "8 916 123 45 67".into(),
        lines: lines[..1].to_vec(),
        ..first
    };
    let b = on_order(&client, &second).await?;
    report(&client, &second, &b).await?;
    assert_eq!(
        a.contact, b.contact,
        "the returning customer keeps one contact"
    );
    Ok(())
}

/// Prints the rows beside the amount the portal computed from them.
async fn report(client: &Client, order: &Order, r: &Recorded) -> bitrix24::Result<()> {
    println!(
        "order {}: contact #{}, deal #{}",
        order.number, r.contact, r.deal
    );
    for row in &r.rows {
        let discount = match &row.discount_rate {
            Some(rate) if rate.to_f64_lossy() != 0.0 => {
                format!(" (list price {}, {rate} % off)", row.price_netto)
            }
            _ => String::new(),
        };
        println!(
            "  {:<10} {:>3} × {:>8}{discount}",
            row.product_name.as_deref().unwrap_or("?"),
            row.quantity,
            row.price,
        );
    }
    let deal = client.deals().get(r.deal).await?;
    println!(
        "  OPPORTUNITY {} {} (computed by the portal from the rows)",
        deal.opportunity.map(|a| a.to_string()).unwrap_or_default(),
        deal.currency_id.unwrap_or_default()
    );
    assert_eq!(deal.contact_id, Some(r.contact));
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
