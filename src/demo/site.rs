//! The demo's sample portal (issue 19): "Báo Sông Xanh", a made-up provincial newspaper whose
//! articles were written for baoluu (no real news page is copied). A home page and two more
//! listing pages chained by "Xem thêm", ten articles, a sitemap and a robots.txt — the shapes
//! the crawl meets on real portals. Served by `crate::web::http` on a loopback port.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::web::html::esc;
use crate::web::http::{Handler, Reply, path};

/// One sample article: URL slug, section, publication time (+07:00), author, title, sapo, body.
struct Sample {
    slug: &'static str,
    section: &'static str,
    published: &'static str,
    author: &'static str,
    title: &'static str,
    sapo: &'static str,
    body: [&'static str; 2],
}

const ARTICLES: [Sample; 10] = [
    Sample {
        slug: "mua-lua-he-thu-boi-thu",
        section: "Kinh tế",
        published: "2025-08-14T07:30:00+07:00",
        author: "Lê Thu Hà",
        title: "Mùa lúa hè thu bội thu trên cánh đồng Sông Xanh",
        sapo: "(BSX) - Nông dân xã Tân Hòa thu hoạch lúa hè thu với năng suất cao hơn vụ trước gần nửa tấn mỗi héc-ta.",
        body: [
            "Từ sáng sớm, máy gặt đã nối nhau ra đồng. Ông Trần Văn Bảy, người trồng lúa ba mươi năm, cho biết nhờ xuống giống đồng loạt và giữ nước đúng lịch nên ruộng nhà ông ít sâu bệnh.",
            "Hợp tác xã đã ký hợp đồng bao tiêu với hai doanh nghiệp, giúp bà con yên tâm về đầu ra trong lúc giá phân bón còn cao.",
        ],
    },
    Sample {
        slug: "thu-vien-luu-dong-ve-ap",
        section: "Văn hóa",
        published: "2025-08-13T16:05:00+07:00",
        author: "Nguyễn Minh Khoa",
        title: "Thư viện lưu động về ấp: sách đến tay trẻ em vùng sâu",
        sapo: "(BSX) - Chiếc xe chở hơn hai nghìn cuốn sách dừng lại ở sân nhà văn hóa ấp Phước Lợi mỗi sáng thứ Bảy.",
        body: [
            "Các em nhỏ xếp hàng mượn truyện tranh, sách khoa học và cả những cuốn từ điển cũ được người dân quyên góp. Cô thủ thư kể nhiều em lần đầu được cầm một cuốn sách mới.",
            "Thư viện tỉnh dự định mở thêm tuyến xe thứ hai trước năm học mới, đi qua các xã ven sông.",
        ],
    },
    Sample {
        slug: "cho-noi-don-khach-mua-nuoc-noi",
        section: "Du lịch",
        published: "2025-08-12T09:45:00+07:00",
        author: "Phạm Ngọc Trâm",
        title: "Chợ nổi Cái Đước đón khách mùa nước nổi",
        sapo: "(BSX) - Ghe bầu chở khóm, bưởi, khoai lang họp chợ từ bốn giờ sáng, thu hút du khách dậy sớm ngắm sông.",
        body: [
            "Những cây bẹo treo trái cây trên mũi ghe vẫn là cách người bán rao hàng quen thuộc. Nhiều hộ đã làm thêm dịch vụ đưa khách đi xuồng qua các con rạch nhỏ.",
            "Ngành du lịch khuyến cáo du khách mặc áo phao khi xuống ghe và không xả rác xuống sông.",
        ],
    },
    Sample {
        slug: "cau-kenh-xang-thong-xe",
        section: "Thời sự",
        published: "2025-08-11T18:20:00+07:00",
        author: "Võ Thanh Tùng",
        title: "Cầu Kênh Xáng thông xe, rút ngắn đường đến trường",
        sapo: "(BSX) - Cây cầu bê tông dài 60 mét thay cho chuyến đò ngang đã chở học sinh qua kênh hơn hai mươi năm.",
        body: [
            "Bà Đặng Thị Mười, người chèo đò lâu năm, xúc động khi thấy những chiếc xe đạp đầu tiên chạy qua cầu. Bà nói sẽ nhớ tiếng gọi đò của bọn trẻ mỗi sáng.",
            "Công trình do người dân góp đất, góp công cùng ngân sách huyện, hoàn thành sớm hơn kế hoạch một tháng.",
        ],
    },
    Sample {
        slug: "nghe-dan-luc-binh-giu-nghe",
        section: "Kinh tế",
        published: "2025-08-10T08:10:00+07:00",
        author: "Lê Thu Hà",
        title: "Nghề đan lục bình giữ chân lao động nữ ở nông thôn",
        sapo: "(BSX) - Từ cọng lục bình phơi khô, các chị ở xã Long Điền làm ra giỏ, thảm và đèn trang trí bán đi nhiều tỉnh.",
        body: [
            "Mỗi người đan được ba đến bốn chiếc giỏ một ngày, vừa làm vừa trông con. Tổ hợp tác nhận đơn hàng qua mạng và giao hàng bằng xe khách.",
            "Chính quyền xã mở lớp dạy nghề miễn phí để thêm người có việc làm tại chỗ.",
        ],
    },
    Sample {
        slug: "giai-bong-da-thieu-nhi-khai-mac",
        section: "Thể thao",
        published: "2025-08-09T15:00:00+07:00",
        author: "Huỳnh Đức Thịnh",
        title: "Giải bóng đá thiếu nhi Sông Xanh khai mạc với 16 đội",
        sapo: "(BSX) - Sân vận động huyện rộn ràng tiếng trống cổ vũ trong ngày đầu của giải bóng đá thiếu nhi hè.",
        body: [
            "Các cầu thủ nhí từ mười đến mười hai tuổi thi đấu theo thể thức sân bảy người. Ban tổ chức trao áo đấu mới cho tất cả các đội tham dự.",
            "Trận chung kết dự kiến diễn ra vào cuối tháng, phát trực tiếp trên trang của đài truyền thanh huyện.",
        ],
    },
    Sample {
        slug: "trong-rung-ngap-man-ven-bien",
        section: "Môi trường",
        published: "2025-08-08T10:30:00+07:00",
        author: "Nguyễn Minh Khoa",
        title: "Trồng mới mười héc-ta rừng ngập mặn ven biển",
        sapo: "(BSX) - Đoàn viên thanh niên và người dân cùng trồng cây đước, cây mắm để giữ bờ biển trước triều cường.",
        body: [
            "Mỗi cây con được cắm cọc tre giữ cho khỏi trôi khi nước lên. Cán bộ kiểm lâm hướng dẫn khoảng cách trồng để rừng phát triển tốt.",
            "Sau ba năm, dải rừng mới được kỳ vọng giảm sóng đánh vào đê và làm nơi sinh sống cho tôm cá.",
        ],
    },
    Sample {
        slug: "benh-vien-mo-phong-kham-tu-xa",
        section: "Y tế",
        published: "2025-08-07T13:15:00+07:00",
        author: "Phạm Ngọc Trâm",
        title: "Bệnh viện tỉnh mở phòng khám từ xa cho các trạm y tế xã",
        sapo: "(BSX) - Bác sĩ tuyến tỉnh hội chẩn qua màn hình với y sĩ ở xã, giúp người bệnh khỏi phải đi xa.",
        body: [
            "Trong tuần đầu, phòng khám đã tư vấn cho hơn năm mươi ca, chủ yếu là người cao tuổi mắc bệnh huyết áp và tiểu đường.",
            "Bệnh viện sẽ tập huấn thêm cho nhân viên y tế xã cách đo và gửi chỉ số của bệnh nhân.",
        ],
    },
    Sample {
        slug: "le-hoi-dua-ghe-ngo",
        section: "Văn hóa",
        published: "2025-08-06T17:40:00+07:00",
        author: "Võ Thanh Tùng",
        title: "Đua ghe ngo: các đội tập luyện cho lễ hội cuối năm",
        sapo: "(BSX) - Mỗi chiều, hơn năm mươi tay chèo của chùa Sóc Xoài lại xuống sông tập nhịp chèo.",
        body: [
            "Chiếc ghe dài gần ba mươi mét được sơn lại hoa văn mới. Người lớn tuổi trong phum sóc truyền cho lớp trẻ cách giữ nhịp theo tiếng còi.",
            "Lễ hội năm nay dự kiến có hai mươi bốn đội tham gia, đến từ nhiều huyện trong tỉnh.",
        ],
    },
    Sample {
        slug: "hop-tac-xa-dua-san-pham-len-mang",
        section: "Kinh tế",
        published: "2025-08-05T11:00:00+07:00",
        author: "Huỳnh Đức Thịnh",
        title: "Hợp tác xã đưa khô cá lóc lên sàn thương mại điện tử",
        sapo: "(BSX) - Sản phẩm khô cá lóc một nắng của hợp tác xã Phú Tân đã có mặt trên ba sàn thương mại điện tử.",
        body: [
            "Chủ nhiệm hợp tác xã cho biết đơn hàng qua mạng chiếm gần một phần ba doanh thu tháng qua. Các thành viên được hướng dẫn chụp ảnh sản phẩm và trả lời khách hàng.",
            "Sở Công Thương hỗ trợ chi phí đóng gói và dán tem truy xuất nguồn gốc cho sản phẩm.",
        ],
    },
];

/// Articles per listing page: the home page and `/tin-moi?trang=2`, `?trang=3`.
const PER_LISTING: usize = 4;

/// The title of the sample article the demo test looks for on the status page.
pub const A_TITLE: &str = ARTICLES[0].title;

/// The sample portal's pages, with absolute URLs on `addr` where the formats want them.
pub fn handler(addr: SocketAddr) -> Handler {
    Arc::new(move |method, target| {
        if method != "GET" {
            return Reply::new("405 Method Not Allowed", "text/plain", "GET only\n");
        }
        let root = format!("http://{addr}");
        match (path(target), target.split_once("?trang=").map(|(_, n)| n)) {
            ("/", _) => Reply::html(listing(1)),
            ("/tin-moi", Some(n)) => match n.parse::<usize>() {
                Ok(n @ 2..=3) => Reply::html(listing(n)),
                _ => not_found(),
            },
            ("/robots.txt", _) => Reply::new(
                "200 OK",
                "text/plain; charset=utf-8",
                format!("User-agent: *\nAllow: /\nSitemap: {root}/sitemap.xml\n"),
            ),
            ("/sitemap.xml", _) => Reply::new("200 OK", "application/xml", sitemap(&root)),
            (p, _) => match ARTICLES
                .iter()
                .find(|a| p == format!("/bai/{}.html", a.slug))
            {
                Some(article) => Reply::html(article_page(article)),
                None => not_found(),
            },
        }
    })
}

fn not_found() -> Reply {
    let mut reply = Reply::html(frame("Không tìm thấy", "<h1>Không tìm thấy trang</h1>"));
    reply.status = "404 Not Found";
    reply
}

fn frame(title: &str, main: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{} - Báo Sông Xanh</title></head>\
<body><header><a href=\"/\">Báo Sông Xanh</a> · <small>tờ báo mẫu của baoluu demo</small></header>\
<main>{main}</main><footer>Báo Sông Xanh là tờ báo tưởng tượng, viết cho bản trình diễn baoluu.</footer></body></html>",
        esc(title)
    )
}

/// Listing page `n` (1-based) with its "Xem thêm" link to the next one.
fn listing(n: usize) -> String {
    let mut items = String::new();
    for a in ARTICLES
        .iter()
        .skip((n - 1) * PER_LISTING)
        .take(PER_LISTING)
    {
        items.push_str(&format!(
            "<div class=\"item\"><a href=\"/bai/{}.html\">{}</a><p>{}</p></div>",
            a.slug,
            esc(a.title),
            esc(a.sapo)
        ));
    }
    let more = match n * PER_LISTING < ARTICLES.len() {
        true => format!(
            "<p class=\"more\"><a href=\"/tin-moi?trang={}\">Xem thêm</a></p>",
            n + 1
        ),
        false => String::new(),
    };
    frame("Tin mới", &format!("<h1>Tin mới</h1>{items}{more}"))
}

fn article_page(a: &Sample) -> String {
    let main = format!(
        "<article><p class=\"section\">{section}</p><h1>{title}</h1><time datetime=\"{published}\">{published}</time>\
<div class=\"sapo\">{sapo}</div><div class=\"content\"><p>{p1}</p><p>{p2}</p>\
<p style=\"text-align:right\"><strong>Bài: {author}</strong></p></div></article>",
        section = esc(a.section),
        title = esc(a.title),
        published = a.published,
        sapo = esc(a.sapo),
        p1 = esc(a.body[0]),
        p2 = esc(a.body[1]),
        author = esc(&a.author.to_uppercase()),
    );
    let head = format!(
        "<meta property=\"article:published_time\" content=\"{}\"><meta property=\"article:section\" content=\"{}\"><meta name=\"author\" content=\"{}\">",
        a.published,
        esc(a.section),
        esc(a.author)
    );
    frame(a.title, &main).replacen("</head>", &format!("{head}</head>"), 1)
}

/// Every article, with its publication time as `lastmod`.
fn sitemap(root: &str) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for a in &ARTICLES {
        out.push_str(&format!(
            "<url><loc>{root}/bai/{}.html</loc><lastmod>{}</lastmod></url>\n",
            a.slug, a.published
        ));
    }
    out.push_str("</urlset>\n");
    out
}
