//! Staff users and API keys.

/// A member of staff who logs in to the SPA.
pub mod user {
    use sea_orm::entity::prelude::*;

    use crate::auth::Role;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub email: String,
        pub name: String,
        pub role: Role,
        pub password_hash: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub last_login_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An integrator's key. Only a SHA-256 of the key is stored.
pub mod api_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        /// The first characters of the key, shown to tell keys apart.
        pub prefix: String,
        #[sea_orm(unique)]
        pub key_hash: String,
        /// `read` or `read,write`.
        pub scopes: String,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// True when the key may change data.
        pub fn can_write(&self) -> bool {
            self.scopes.split(',').any(|s| s.trim() == "write")
        }
    }
}
