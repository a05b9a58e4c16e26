//! What the shipped profiles must contain, from docs/profiles.md: the current domains, the legacy
//! hosts and the paper that absorbed each, the family of each site docs/profiles.md classifies, and
//! one real-shaped article and listing URL per family.

/// docs/profiles.md, "Portals worth shipping a profile for": the current domains (the legacy
/// baohaugiang.com.vn left out).
pub const CURRENT_DOMAINS: [&str; 34] = [
    "baocantho.com.vn",
    "baoangiang.com.vn",
    "baodongthap.vn",
    "baovinhlong.com.vn",
    "baocamau.vn",
    "baotayninh.vn",
    "sggp.org.vn",
    "baodongnai.com.vn",
    "baolamdong.vn",
    "baodaklak.vn",
    "baogialai.com.vn",
    "baokhanhhoa.vn",
    "baoquangngai.vn",
    "huengaynay.vn",
    "baoquangtri.vn",
    "baohatinh.vn",
    "baonghean.vn",
    "baothanhhoa.vn",
    "baoninhbinh.org.vn",
    "baohungyen.vn",
    "baobacninhtv.vn",
    "baophutho.vn",
    "baothainguyen.vn",
    "baotuyenquang.com.vn",
    "baolaocai.vn",
    "baolaichau.vn",
    "baodienbienphu.vn",
    "baosonla.vn",
    "baocaobang.vn",
    "baolangson.vn",
    "baoquangninh.vn",
    "baohaiphong.vn",
    "baodanang.vn",
    "hanoimoi.vn",
];

/// docs/profiles.md, "The map changed on 2025-07-01": a legacy host and the current paper that
/// absorbed it.
pub const LEGACY: [(&str, &str); 10] = [
    ("baohaugiang.com.vn", "cantho"),
    ("baosoctrang.org.vn", "cantho"),
    ("baolongan.vn", "tayninh"),
    ("baobinhduong.vn", "sggp"),
    ("baobariavungtau.com.vn", "sggp"),
    ("dongkhoi.baovinhlong.vn", "vinhlong"),
    ("travinh.baovinhlong.vn", "vinhlong"),
    ("baokiengiang.vn", "angiang"),
    ("baobaclieu.vn", "camau"),
    ("baoapbac.vn", "dongthap"),
];

/// Archives of absorbed papers served by the absorbing paper's own CMS: hosts of its current
/// portal, not legacy portals (issue 14: phuyen.baodaklak.vn serves yyyymm-hex URLs; baophuyen.vn
/// redirects there; bbk.baothainguyen.vn is Báo Bắc Kạn's archive).
pub const ARCHIVE_HOSTS: [(&str, &str); 3] = [
    ("phuyen.baodaklak.vn", "daklak"),
    ("baophuyen.vn", "daklak"),
    ("bbk.baothainguyen.vn", "thainguyen"),
];

/// Hosts no portal may list: the English edition of baobacninhtv.vn (the archive is Vietnamese,
/// issue 14).
pub const NOT_ARCHIVED: [&str; 1] = ["en.baobacninhtv.vn"];

/// docs/profiles.md's family table: a site and the preset its profile must name.
pub const FAMILIES: [(&str, &str); 23] = [
    ("baocantho.com.vn", "content-fck"),
    ("baoangiang.com.vn", "content-fck"),
    ("baolongan.vn", "content-fck"),
    ("baodongthap.vn", "content-fck"),
    ("dongkhoi.baovinhlong.vn", "content-fck"),
    ("travinh.baovinhlong.vn", "content-fck"),
    ("baobinhduong.vn", "content-fck"),
    ("baolaocai.vn", "cms"),
    ("baogialai.com.vn", "cms"),
    ("baohatinh.vn", "cms"),
    ("baodanang.vn", "b-maincontent"),
    ("baohaiphong.vn", "b-maincontent"),
    ("baonghean.vn", "b-maincontent"),
    ("hanoimoi.vn", "b-maincontent"),
    ("baodongnai.com.vn", "yyyymm-hex"),
    ("baokhanhhoa.vn", "yyyymm-hex"),
    ("baovinhlong.com.vn", "yyyymm-hex"),
    ("baoquangtri.vn", "yyyymm-hex"),
    ("baothainguyen.vn", "yyyymm-hex"),
    ("baodaklak.vn", "yyyymm-hex"),
    ("baotayninh.vn", "mediatech"),
    ("baophutho.vn", "htm"),
    ("baothanhhoa.vn", "htm"),
];

/// One real-shaped URL per family: (portal, article, listings).
pub const FAMILY_SAMPLES: [(&str, &str, &[&str]); 6] = [
    (
        "angiang",
        "https://baoangiang.com.vn/lua-thu-dong-trung-mua-a462113.html",
        &[
            "https://baoangiang.com.vn/",
            "https://baoangiang.com.vn/kinh-te/",
            "http://www.baoangiang.com.vn/kinh-te?p=3",
        ],
    ),
    (
        "gialai",
        "https://baogialai.com.vn/gia-lai-don-tet-post312345.html",
        &[
            "https://baogialai.com.vn/thoi-su/",
            "https://baogialai.com.vn/thoi-su/chinh-tri/?page=2",
        ],
    ),
    (
        "nghean",
        "https://baonghean.vn/mua-lua-moi-tren-dong-dat-xu-nghe-10293847.html",
        &[
            "https://baonghean.vn/thoi-su",
            "https://baonghean.vn/thoi-su/",
            "https://baonghean.vn/thoi-su.html",
            "https://baonghean.vn/thoi-su/trang-2.html",
        ],
    ),
    (
        "dongnai",
        "https://baodongnai.com.vn/kinh-te/202506/hoi-nghi-xuc-tien-dau-tu-3f2a9c1/",
        &[
            "https://baodongnai.com.vn/kinh-te/",
            "https://baodongnai.com.vn/kinh-te/nong-nghiep/?page=4",
        ],
    ),
    (
        "tayninh",
        "https://baotayninh.vn/khanh-thanh-cau-moi-qua-song-vam-co-123456.html",
        &[
            "https://baotayninh.vn/tin-moi",
            "https://baotayninh.vn/tin-moi/trang-2.html",
            "https://baotayninh.vn/rss",
        ],
    ),
    (
        "thanhhoa",
        "https://baothanhhoa.vn/khai-mac-le-hoi-lam-kinh-254321.htm",
        &[
            "https://baothanhhoa.vn/thoi-su/",
            "https://baothanhhoa.vn/thoi-su.htm",
        ],
    ),
];
