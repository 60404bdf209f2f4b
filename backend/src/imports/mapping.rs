//! Which CSV column feeds which field: the fields of each kind, the
//! suggested mapping (header names compared without case, accents, spaces
//! or punctuation, with common aliases in English and Vietnamese), and the
//! mapping a row is read through ([`Columns`]).

use std::collections::HashMap;

use super::ImportKind;
use crate::error::{AppError, AppResult};

/// A field an import fills: its name (as in the CLI's CSV headers), whether
/// the file must have it, and the header names it is recognised by.
pub struct Field {
    pub name: &'static str,
    pub required: bool,
    /// Normalised aliases ([`normalize`]): lower-case ASCII letters and digits.
    pub aliases: &'static [&'static str],
}

const CUSTOMER_FIELDS: &[Field] = &[
    Field {
        name: "phone",
        required: true,
        aliases: &[
            "phone",
            "phonenumber",
            "mobile",
            "mobilephone",
            "cell",
            "cellphone",
            "tel",
            "telephone",
            "sdt",
            "sodienthoai",
            "dienthoai",
            "didong",
        ],
    },
    Field {
        name: "name",
        required: false,
        aliases: &[
            "name",
            "fullname",
            "customername",
            "customer",
            "hoten",
            "ten",
            "hovaten",
            "tenkhachhang",
            "khachhang",
        ],
    },
    Field { name: "email", required: false, aliases: &["email", "emailaddress", "mail", "thudientu"] },
    Field { name: "address", required: false, aliases: &["address", "streetaddress", "street", "diachi"] },
    Field {
        name: "city",
        required: false,
        aliases: &["city", "town", "province", "tinh", "thanhpho", "tinhthanh", "tinhthanhpho"],
    },
    Field {
        name: "birthday",
        required: false,
        aliases: &["birthday", "birthdate", "dateofbirth", "dob", "ngaysinh", "sinhnhat"],
    },
    Field { name: "tags", required: false, aliases: &["tags", "tag", "labels", "label", "nhan", "the"] },
];

const ORDER_FIELDS: &[Field] = &[
    Field {
        name: "external_id",
        required: true,
        aliases: &["externalid", "orderid", "ordercode", "ordernumber", "madonhang", "madon", "id"],
    },
    Field {
        name: "phone",
        required: true,
        aliases: &["phone", "phonenumber", "mobile", "tel", "telephone", "sdt", "sodienthoai", "dienthoai"],
    },
    Field {
        name: "customer_name",
        required: false,
        aliases: &["customername", "name", "fullname", "customer", "hoten", "ten", "tenkhachhang", "khachhang"],
    },
    Field {
        name: "ordered_at",
        required: false,
        aliases: &["orderedat", "orderdate", "date", "createdat", "ngaydat", "ngay", "ngaymua"],
    },
    Field { name: "status", required: false, aliases: &["status", "orderstatus", "trangthai"] },
    Field { name: "channel", required: false, aliases: &["channel", "source", "kenh", "kenhban"] },
    Field { name: "amount", required: false, aliases: &["amount", "total", "totalamount", "tongtien", "thanhtien"] },
    Field { name: "sku", required: false, aliases: &["sku", "productcode", "masanpham", "masp"] },
    Field {
        name: "item_name",
        required: false,
        aliases: &["itemname", "item", "product", "productname", "sanpham", "tensanpham"],
    },
    Field { name: "quantity", required: false, aliases: &["quantity", "qty", "soluong", "sl"] },
    Field { name: "unit_price", required: false, aliases: &["unitprice", "price", "dongia", "gia"] },
    Field { name: "note", required: false, aliases: &["note", "notes", "comment", "ghichu"] },
];

impl ImportKind {
    /// The fields a file of this kind can fill.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Self::Customers => CUSTOMER_FIELDS,
            Self::Orders => ORDER_FIELDS,
        }
    }
}

/// A header name as compared with the aliases: accents dropped (`SĐT` →
/// `sdt`), lower case, only letters and digits (`Full name` → `fullname`).
pub fn normalize(header: &str) -> String {
    deunicode::deunicode(header.trim_start_matches('\u{feff}'))
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// For each column of `header`, the field it most likely holds (`None`:
/// not imported). A field goes to the first column that names it.
pub fn suggest(kind: ImportKind, header: &[String]) -> Vec<Option<&'static str>> {
    let mut taken: Vec<&str> = Vec::new();
    header
        .iter()
        .map(|h| {
            let n = normalize(h);
            let field = kind
                .fields()
                .iter()
                .find(|f| f.aliases.contains(&n.as_str()) && !taken.contains(&f.name))
                .map(|f| f.name);
            taken.extend(field);
            field
        })
        .collect()
}

/// How a row is read: the file's header and, per field, its column.
#[derive(Debug, Clone)]
pub struct Columns {
    pub header: Vec<String>,
    by_field: HashMap<&'static str, usize>,
}

impl Columns {
    /// The suggested mapping of `header`.
    pub fn suggested(kind: ImportKind, header: Vec<String>) -> Self {
        let by_field = suggest(kind, &header).into_iter().enumerate().filter_map(|(i, f)| Some((f?, i))).collect();
        Self { header, by_field }
    }

    /// A chosen mapping: pairs of (CSV column, field or none). A column not
    /// in the header, a field unknown to `kind` or given twice is
    /// `BAD_USER_INPUT` on `mapping`.
    pub fn chosen(kind: ImportKind, header: Vec<String>, pairs: &[(String, Option<String>)]) -> AppResult<Self> {
        let mut by_field = HashMap::new();
        for (column, field) in pairs {
            let Some(field) = field.as_deref().map(str::trim).filter(|f| !f.is_empty()) else { continue };
            let Some(i) = header.iter().position(|h| h.trim() == column.trim()) else {
                return Err(AppError::bad_input("mapping", format!("the file has no column {column:?}")));
            };
            let Some(f) = kind.fields().iter().find(|f| f.name.eq_ignore_ascii_case(field)) else {
                let known: Vec<&str> = kind.fields().iter().map(|f| f.name).collect();
                return Err(AppError::bad_input(
                    "mapping",
                    format!("unknown field {field:?} (one of {})", known.join(", ")),
                ));
            };
            if by_field.insert(f.name, i).is_some() {
                return Err(AppError::bad_input("mapping", format!("the field {} is mapped twice", f.name)));
            }
        }
        Ok(Self { header, by_field })
    }

    /// Required fields no column feeds.
    pub fn missing(&self, kind: ImportKind) -> Vec<&'static str> {
        kind.fields().iter().filter(|f| f.required && !self.by_field.contains_key(f.name)).map(|f| f.name).collect()
    }

    /// `BAD_USER_INPUT` on `mapping` when a required field has no column.
    pub fn check(&self, kind: ImportKind) -> AppResult<()> {
        let missing = self.missing(kind);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(AppError::bad_input("mapping", format!("no column holds the required field(s) {}", missing.join(", "))))
        }
    }

    /// The column of `field`.
    pub fn index(&self, field: &str) -> Option<usize> {
        self.by_field.get(field).copied()
    }

    /// The CSV column name of `field` (the field's own name when unmapped),
    /// for error messages.
    pub fn column_name(&self, field: &str) -> String {
        self.index(field).and_then(|i| self.header.get(i)).map_or_else(|| field.to_owned(), |h| h.trim().to_owned())
    }

    /// The field each column feeds, in header order.
    pub fn pairs(&self) -> Vec<(String, Option<&'static str>)> {
        self.header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), self.by_field.iter().find(|(_, c)| **c == i).map(|(f, _)| *f)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn headers_are_matched_without_case_accents_or_spaces() {
        let h = header(&["SĐT", "Họ tên", "E-mail", "Ngày sinh", "Ghi chú", "Mobile"]);
        assert_eq!(
            suggest(ImportKind::Customers, &h),
            [Some("phone"), Some("name"), Some("email"), Some("birthday"), None, None]
        );
        let h = header(&["Full Name", "Phone Number", "member_code"]);
        assert_eq!(suggest(ImportKind::Customers, &h), [Some("name"), Some("phone"), None]);
        let h = header(&["Order ID", "Phone", "Name", "Total"]);
        assert_eq!(
            suggest(ImportKind::Orders, &h),
            [Some("external_id"), Some("phone"), Some("customer_name"), Some("amount")]
        );
    }

    #[test]
    fn a_chosen_mapping_is_checked() {
        let h = header(&["a", "b"]);
        let pick = |pairs: &[(&str, Option<&str>)]| {
            let pairs: Vec<(String, Option<String>)> =
                pairs.iter().map(|(c, f)| ((*c).to_owned(), f.map(str::to_owned))).collect();
            Columns::chosen(ImportKind::Customers, h.clone(), &pairs)
        };
        let c = pick(&[("a", Some("phone")), ("b", None)]).unwrap();
        assert_eq!((c.index("phone"), c.column_name("phone")), (Some(0), "a".to_owned()));
        c.check(ImportKind::Customers).unwrap();
        assert!(pick(&[("z", Some("phone"))]).is_err());
        assert!(pick(&[("a", Some("shoe_size"))]).is_err());
        assert!(pick(&[("a", Some("phone")), ("b", Some("PHONE"))]).is_err());
        assert!(pick(&[("a", Some("name"))]).unwrap().check(ImportKind::Customers).is_err());
    }
}
