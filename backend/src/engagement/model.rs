//! Interaction and family member entities and their enums.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How staff and customer were in touch.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InteractionChannel {
    #[sea_orm(string_value = "CALL")]
    Call,
    #[sea_orm(string_value = "WHATSAPP")]
    Whatsapp,
    #[sea_orm(string_value = "SMS")]
    Sms,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    /// The customer came to the shop, or staff went to them.
    #[sea_orm(string_value = "VISIT")]
    Visit,
}

impl InteractionChannel {
    /// `Call`, `WhatsApp`, …: how a timeline line names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Call => "Call",
            Self::Whatsapp => "WhatsApp",
            Self::Sms => "SMS",
            Self::Email => "Email",
            Self::Visit => "Visit",
        }
    }
}

/// Who reached out.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InteractionDirection {
    /// The customer contacted the shop.
    #[sea_orm(string_value = "INBOUND")]
    Inbound,
    /// The shop contacted the customer.
    #[sea_orm(string_value = "OUTBOUND")]
    Outbound,
}

impl InteractionDirection {
    /// `inbound` or `outbound`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
}

/// How a family member is related to the customer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Relationship {
    #[sea_orm(string_value = "SPOUSE")]
    Spouse,
    #[sea_orm(string_value = "CHILD")]
    Child,
    #[sea_orm(string_value = "PARENT")]
    Parent,
    #[sea_orm(string_value = "SIBLING")]
    Sibling,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

impl Relationship {
    /// `spouse`, `child`, …
    pub fn label(self) -> &'static str {
        match self {
            Self::Spouse => "spouse",
            Self::Child => "child",
            Self::Parent => "parent",
            Self::Sibling => "sibling",
            Self::Other => "relative",
        }
    }
}

pub mod interaction {
    //! One contact between staff and a customer. The call-task generator
    //! reads `follow_up_date`, `customer_id` and `agent_id` ("follow-ups due
    //! today"): keep these names.
    use sea_orm::entity::prelude::*;

    use super::{InteractionChannel, InteractionDirection};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "interactions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_id: i64,
        /// The member of staff who logged it (none through an API key).
        pub agent_id: Option<i64>,
        pub channel: InteractionChannel,
        pub direction: InteractionDirection,
        /// What came of it, in a few words (`reached`, `no answer`).
        pub outcome: String,
        pub notes: Option<String>,
        /// The business-local day someone should contact the customer again.
        pub follow_up_date: Option<Date>,
        pub occurred_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod family_member {
    //! A person in a customer's family.
    use sea_orm::entity::prelude::*;

    use super::Relationship;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "family_members")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_id: i64,
        pub name: String,
        pub relationship: Relationship,
        pub birthday: Option<Date>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
