//! Vietnamese-style names, cities and phone prefixes for demo data.

/// Family names, the most common first (Nguyễn alone is about 38%).
pub const FAMILY: &[(&str, u32)] = &[
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 5),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 4),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
];

/// Middle names.
pub const MIDDLE: &[&str] =
    &["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Quốc", "Thu", "Hoài", "Gia", "Bảo", "Kim", "Xuân", "Anh"];

/// Given names.
pub const GIVEN: &[&str] = &[
    "Anh", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khang", "Lan",
    "Linh", "Long", "Mai", "Minh", "Nam", "Ngân", "Nhung", "Phong", "Phúc", "Quân", "Quỳnh", "Sơn", "Tâm", "Thảo",
    "Thắng", "Trang", "Trung", "Tuấn", "Vy", "Yến", "Khoa", "Duy", "Nhi", "Thủy", "Đạt", "Hiền",
];

/// Cities, biggest first.
pub const CITIES: &[&str] = &[
    "TP. Hồ Chí Minh",
    "Hà Nội",
    "Đà Nẵng",
    "Hải Phòng",
    "Cần Thơ",
    "Biên Hòa",
    "Nha Trang",
    "Huế",
    "Vũng Tàu",
    "Buôn Ma Thuột",
];

/// Street names for addresses.
pub const STREETS: &[&str] = &[
    "Lê Lợi",
    "Nguyễn Huệ",
    "Trần Hưng Đạo",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Điện Biên Phủ",
    "Cách Mạng Tháng Tám",
    "Võ Văn Tần",
    "Pasteur",
    "Phan Đình Phùng",
];

/// Tags a shop would use.
pub const TAGS: &[&str] = &["vip", "wholesale", "facebook", "zalo", "shopee", "newsletter", "returning", "office"];

/// Mobile prefixes of Vietnamese carriers, after the country code (the
/// national form adds a leading 0: 090…, 032…).
pub const MOBILE_PREFIXES: &[&str] = &[
    "90", "93", "70", "76", "77", "78", "79", "91", "94", "88", "81", "82", "83", "84", "85", "96", "97", "98", "86",
    "32", "33", "34", "35", "36", "37", "38", "39",
];
