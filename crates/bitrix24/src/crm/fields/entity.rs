//! The typed setters of each entity, and the multifield writers of those that have phones.

use time::Date;

use super::{Fields, MultiOp};
use crate::crm::multifield::{EmailType, ImType, MultifieldKind, PhoneType, WebType};
use crate::crm::types::{
    marker, Amount, CompanyType, ContactType, DealType, IntoId, LeadStatus, MultifieldId, Source,
    StageId,
};

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::crm::types::marker::Lead {}
    impl Sealed for crate::crm::types::marker::Contact {}
    impl Sealed for crate::crm::types::marker::Company {}
}

/// Entities with phones, e-mails, web addresses and messengers: leads, contacts, companies.
pub trait HasMultifields: sealed::Sealed {}
impl HasMultifields for marker::Lead {}
impl HasMultifields for marker::Contact {}
impl HasMultifields for marker::Company {}

impl<M: HasMultifields> Fields<M> {
    /// Adds a phone (written per [`Fields::phone_format`]).
    pub fn phone(mut self, number: impl Into<String>, kind: PhoneType) -> Self {
        self.add(MultifieldKind::Phone, number.into(), kind.as_str());
        self
    }

    /// Adds an e-mail address.
    pub fn email(mut self, address: impl Into<String>, kind: EmailType) -> Self {
        self.add(MultifieldKind::Email, address.into(), kind.as_str());
        self
    }

    /// Adds a web address.
    pub fn web(mut self, url: impl Into<String>, kind: WebType) -> Self {
        self.add(MultifieldKind::Web, url.into(), kind.as_str());
        self
    }

    /// Adds a messenger handle.
    pub fn im(mut self, handle: impl Into<String>, kind: ImType) -> Self {
        self.add(MultifieldKind::Im, handle.into(), kind.as_str());
        self
    }

    /// Replaces the stored phone `id` (update only).
    pub fn update_phone(
        mut self,
        id: MultifieldId,
        number: impl Into<String>,
        kind: PhoneType,
    ) -> Self {
        let op = MultiOp::Update {
            id,
            value: number.into(),
            value_type: kind.as_str().to_string(),
        };
        self.push_multi(MultifieldKind::Phone, op);
        self
    }

    /// Replaces the stored e-mail `id` (update only).
    pub fn update_email(
        mut self,
        id: MultifieldId,
        address: impl Into<String>,
        kind: EmailType,
    ) -> Self {
        let op = MultiOp::Update {
            id,
            value: address.into(),
            value_type: kind.as_str().to_string(),
        };
        self.push_multi(MultifieldKind::Email, op);
        self
    }

    /// Removes the stored value `id` of multifield `kind` (update only): sends
    /// `{ID, DELETE: "Y"}`.
    pub fn delete_multifield(mut self, kind: MultifieldKind, id: MultifieldId) -> Self {
        self.push_multi(kind, MultiOp::Delete { id });
        self
    }

    fn add(&mut self, kind: MultifieldKind, value: String, value_type: &str) {
        let op = MultiOp::Add {
            value,
            value_type: value_type.to_string(),
        };
        self.push_multi(kind, op);
    }
}

/// Setters shared by several entities, written once.
macro_rules! text_setters {
    ($m:ty: $($(#[$doc:meta])* $fn:ident => $key:literal),* $(,)?) => {
        impl Fields<$m> {
            $($(#[$doc])* pub fn $fn(self, value: impl Into<String>) -> Self {
                self.set($key, value.into())
            })*
        }
    };
}

text_setters!(marker::Lead:
    /// `TITLE` (the portal fills a numbered default when empty).
    title => "TITLE",
    /// `NAME`.
    name => "NAME",
    /// `SECOND_NAME`.
    second_name => "SECOND_NAME",
    /// `LAST_NAME`.
    last_name => "LAST_NAME",
    /// `POST`: the position.
    post => "POST",
    /// `COMPANY_TITLE`: the company name typed into the lead.
    company_title => "COMPANY_TITLE",
    /// `CURRENCY_ID`.
    currency => "CURRENCY_ID",
    /// `SOURCE_DESCRIPTION`.
    source_description => "SOURCE_DESCRIPTION",
    /// `STATUS_DESCRIPTION`.
    status_description => "STATUS_DESCRIPTION",
    /// `HONORIFIC` (directory `HONORIFIC`, e.g. `HNR_RU_1`).
    honorific => "HONORIFIC",
    /// `ADDRESS`: the street address.
    address => "ADDRESS",
    /// `ADDRESS_CITY`.
    address_city => "ADDRESS_CITY",
    /// `ADDRESS_POSTAL_CODE`.
    address_postal_code => "ADDRESS_POSTAL_CODE",
    /// `ADDRESS_COUNTRY`.
    address_country => "ADDRESS_COUNTRY",
);

/// The UTM tags of leads and deals (where the customer came from), written once.
macro_rules! utm_setters {
    ($($m:ty),*) => {$(
        impl Fields<$m> {
            /// `UTM_SOURCE`: the advertising system (`google`, `newsletter`).
            pub fn utm_source(self, value: impl Into<String>) -> Self {
                self.set("UTM_SOURCE", value.into())
            }

            /// `UTM_MEDIUM`: the traffic type (`cpc`, `email`).
            pub fn utm_medium(self, value: impl Into<String>) -> Self {
                self.set("UTM_MEDIUM", value.into())
            }

            /// `UTM_CAMPAIGN`: the campaign.
            pub fn utm_campaign(self, value: impl Into<String>) -> Self {
                self.set("UTM_CAMPAIGN", value.into())
            }

            /// `UTM_CONTENT`: the ad or link within the campaign.
            pub fn utm_content(self, value: impl Into<String>) -> Self {
                self.set("UTM_CONTENT", value.into())
            }

            /// `UTM_TERM`: the search term.
            pub fn utm_term(self, value: impl Into<String>) -> Self {
                self.set("UTM_TERM", value.into())
            }
        }
    )*};
}

utm_setters!(marker::Lead, marker::Deal);

text_setters!(marker::Deal:
    /// `TITLE`.
    title => "TITLE",
    /// `CURRENCY_ID`.
    currency => "CURRENCY_ID",
    /// `SOURCE_DESCRIPTION`.
    source_description => "SOURCE_DESCRIPTION",
    /// `ADDITIONAL_INFO`.
    additional_info => "ADDITIONAL_INFO",
);

text_setters!(marker::Contact:
    /// `NAME`.
    name => "NAME",
    /// `SECOND_NAME`.
    second_name => "SECOND_NAME",
    /// `LAST_NAME`.
    last_name => "LAST_NAME",
    /// `POST`.
    post => "POST",
    /// `SOURCE_DESCRIPTION`.
    source_description => "SOURCE_DESCRIPTION",
);

text_setters!(marker::Company:
    /// `TITLE`.
    title => "TITLE",
    /// `INDUSTRY` (directory `INDUSTRY`, e.g. `IT`).
    industry => "INDUSTRY",
    /// `EMPLOYEES` (directory `EMPLOYEES`, e.g. `EMPLOYEES_2`).
    employees => "EMPLOYEES",
    /// `CURRENCY_ID`.
    currency => "CURRENCY_ID",
);

impl Fields<marker::Lead> {
    /// `STATUS_ID`.
    pub fn status(self, status: LeadStatus) -> Self {
        self.set("STATUS_ID", status)
    }

    /// `SOURCE_ID`.
    pub fn source(self, source: Source) -> Self {
        self.set("SOURCE_ID", source)
    }

    /// `OPPORTUNITY`, sent as exact decimal text.
    pub fn opportunity(self, amount: Amount) -> Self {
        self.set("OPPORTUNITY", amount)
    }

    /// `BIRTHDATE`.
    pub fn birthdate(self, date: Date) -> Self {
        self.set("BIRTHDATE", date)
    }

    /// `COMPANY_ID` (the portal then marks the lead a returning customer): an id, or a batch
    /// handle of one.
    pub fn company(self, id: impl IntoId<marker::Company>) -> Self {
        self.set("COMPANY_ID", id.into_id_value())
    }

    /// `CONTACT_ID`: an id, or a batch handle of one.
    pub fn contact(self, id: impl IntoId<marker::Contact>) -> Self {
        self.set("CONTACT_ID", id.into_id_value())
    }
}

impl Fields<marker::Deal> {
    /// `TYPE_ID`.
    pub fn deal_type(self, kind: DealType) -> Self {
        self.set("TYPE_ID", kind)
    }

    /// `CATEGORY_ID`: the pipeline (add only; moving a deal needs `crm.item.update`).
    pub fn category(self, id: u32) -> Self {
        self.set("CATEGORY_ID", id)
    }

    /// `STAGE_ID`: a stage of the deal's pipeline (`C{N}:` prefix outside pipeline 0).
    pub fn stage(self, stage: StageId) -> Self {
        self.set("STAGE_ID", stage)
    }

    /// `PROBABILITY`, in percent.
    pub fn probability(self, percent: u8) -> Self {
        self.set("PROBABILITY", percent)
    }

    /// `OPPORTUNITY`, sent as exact decimal text.
    pub fn opportunity(self, amount: Amount) -> Self {
        self.set("OPPORTUNITY", amount)
    }

    /// `SOURCE_ID`.
    pub fn source(self, source: Source) -> Self {
        self.set("SOURCE_ID", source)
    }

    /// `COMPANY_ID`: an id, or a batch handle of one.
    pub fn company(self, id: impl IntoId<marker::Company>) -> Self {
        self.set("COMPANY_ID", id.into_id_value())
    }

    /// `CONTACT_ID`: the (first) linked contact, an id or a batch handle of one. To link
    /// several, use [`Fields::contacts`].
    pub fn contact(self, id: impl IntoId<marker::Contact>) -> Self {
        self.set("CONTACT_ID", id.into_id_value())
    }

    /// `CONTACT_IDS`: every linked contact (ids or batch handles), replacing the current set.
    pub fn contacts<I: IntoId<marker::Contact>>(self, ids: impl IntoIterator<Item = I>) -> Self {
        let list = ids.into_iter().map(IntoId::into_id_value).collect();
        self.set("CONTACT_IDS", serde_json::Value::Array(list))
    }

    /// `LEAD_ID`: the lead this deal comes from, an id or a batch handle of one.
    pub fn lead(self, id: impl IntoId<marker::Lead>) -> Self {
        self.set("LEAD_ID", id.into_id_value())
    }

    /// `BEGINDATE`.
    pub fn begin_date(self, date: Date) -> Self {
        self.set("BEGINDATE", date)
    }

    /// `CLOSEDATE`.
    pub fn close_date(self, date: Date) -> Self {
        self.set("CLOSEDATE", date)
    }

    /// `CLOSED`.
    pub fn closed(self, closed: bool) -> Self {
        self.set("CLOSED", closed)
    }
}

impl Fields<marker::Contact> {
    /// `TYPE_ID`.
    pub fn contact_type(self, kind: ContactType) -> Self {
        self.set("TYPE_ID", kind)
    }

    /// `SOURCE_ID`.
    pub fn source(self, source: Source) -> Self {
        self.set("SOURCE_ID", source)
    }

    /// `BIRTHDATE`.
    pub fn birthdate(self, date: Date) -> Self {
        self.set("BIRTHDATE", date)
    }

    /// `COMPANY_ID`: an id, or a batch handle of one.
    pub fn company(self, id: impl IntoId<marker::Company>) -> Self {
        self.set("COMPANY_ID", id.into_id_value())
    }

    /// `EXPORT`: include in exports.
    pub fn export(self, export: bool) -> Self {
        self.set("EXPORT", export)
    }
}

impl Fields<marker::Company> {
    /// `COMPANY_TYPE`.
    pub fn company_type(self, kind: CompanyType) -> Self {
        self.set("COMPANY_TYPE", kind)
    }

    /// `REVENUE`, sent as exact decimal text.
    pub fn revenue(self, amount: Amount) -> Self {
        self.set("REVENUE", amount)
    }

    /// `IS_MY_COMPANY`.
    pub fn is_my_company(self, mine: bool) -> Self {
        self.set("IS_MY_COMPANY", mine)
    }
}
