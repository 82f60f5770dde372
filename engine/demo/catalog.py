"""Fixed vocabularies of the demo: products, people's names and the words of hospital profiles."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoProduct:
    """A product with its list price and cost ratio; ``is_new`` products launch during the data."""

    code: str
    name: str
    product_line: str
    price_cents: int
    cost_ratio: float
    is_new: bool = False


def _line(prefix: str, line: str, rows) -> list[DemoProduct]:
    return [DemoProduct(f"{prefix}{n:03d}", name, line, round(price * 100), ratio, new == "new")
            for n, (name, price, ratio, new) in enumerate(rows, 1)]


PRODUCTS = tuple(
    _line("CV", "心血管", [
        ("阿托伐他汀钙片 20mg×7片", 35.80, 0.42, ""),
        ("苯磺酸氨氯地平片 5mg×28片", 42.50, 0.38, ""),
        ("硫酸氢氯吡格雷片 75mg×7片", 26.40, 0.45, ""),
        ("替格瑞洛片 90mg×14片", 98.00, 0.33, ""),
        ("沙库巴曲缬沙坦钠片 100mg×14片", 186.00, 0.28, "new"),
    ])
    + _line("ON", "肿瘤", [
        ("注射用紫杉醇(白蛋白结合型) 100mg", 1180.00, 0.30, ""),
        ("注射用培美曲塞二钠 0.5g", 680.00, 0.35, ""),
        ("来曲唑片 2.5mg×10片", 68.00, 0.40, ""),
        ("甲磺酸奥希替尼片 80mg×30片", 5280.00, 0.22, ""),
        ("卡瑞利珠单抗注射液 200mg", 2928.00, 0.20, "new"),
    ])
    + _line("AI", "抗感染", [
        ("注射用头孢曲松钠 1.0g", 8.60, 0.55, ""),
        ("盐酸莫西沙星片 0.4g×3片", 45.00, 0.46, ""),
        ("注射用美罗培南 0.5g", 68.00, 0.40, ""),
        ("磷酸奥司他韦胶囊 75mg×10粒", 52.00, 0.44, ""),
    ])
    + _line("RS", "呼吸", [
        ("布地奈德福莫特罗吸入粉雾剂 160μg/4.5μg 60吸", 228.00, 0.36, ""),
        ("孟鲁司特钠片 10mg×5片", 38.00, 0.41, ""),
        ("噻托溴铵吸入粉雾剂 18μg×10粒", 96.00, 0.37, ""),
        ("格隆溴铵福莫特罗吸入气雾剂 120揿", 268.00, 0.30, "new"),
    ])
    + _line("EN", "内分泌", [
        ("盐酸二甲双胍缓释片 0.5g×30片", 24.00, 0.50, ""),
        ("门冬胰岛素注射液 3ml:300单位", 72.00, 0.43, ""),
        ("达格列净片 10mg×14片", 85.00, 0.35, ""),
        ("西格列汀二甲双胍片 50mg/850mg×28片", 110.00, 0.38, ""),
        ("司美格鲁肽注射液 1.34mg/ml 1.5ml", 958.00, 0.25, "new"),
    ])
)
PRODUCT_LINES = tuple(dict.fromkeys(p.product_line for p in PRODUCTS))
# Specialist hospitals buy only some lines; the first name fragment that matches decides.
SPECIALTY_LINES = (
    ("肿瘤", ("肿瘤", "抗感染")), ("口腔", ("抗感染",)), ("眼科", ("抗感染", "内分泌")),
    ("精神卫生", ("内分泌", "心血管")), ("传染病", ("抗感染", "呼吸")),
    ("康复", ("心血管", "内分泌", "呼吸")), ("妇幼", ("抗感染", "内分泌", "呼吸")),
    ("社区卫生", ("心血管", "内分泌", "抗感染", "呼吸")),
)

# (surname, pinyin) and (given name, pinyin): usernames are written in pinyin.
SURNAMES = tuple(pair.split(":") for pair in (
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu 孙:sun "
    "马:ma 朱:zhu 胡:hu 郭:guo 何:he 林:lin 高:gao 罗:luo 郑:zheng 梁:liang 谢:xie 宋:song "
    "唐:tang 韩:han 冯:feng 邓:deng 曹:cao 彭:peng").split())
GIVEN_NAMES = tuple(pair.split(":") for pair in (
    "伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong 艳:yan "
    "杰:jie 涛:tao 明:ming 超:chao 霞:xia 平:ping 刚:gang 晓东:xiaodong 海燕:haiyan "
    "建华:jianhua 志强:zhiqiang 文博:wenbo 思远:siyuan 雪梅:xuemei 子涵:zihan 浩然:haoran "
    "雨桐:yutong 佳怡:jiayi 俊杰:junjie 晓梅:xiaomei 国庆:guoqing 丹:dan 鹏:peng 婷:ting").split())

CONTACT_TITLES = ("院长", "副院长", "药剂科主任", "医务处处长", "采购中心主任", "心内科主任",
                  "肿瘤科主任", "呼吸科主任", "内分泌科主任")

EXPANSION_NOTES = (
    "新院区预计{year}年启用,新增床位{beds}张",
    "{year}年扩建住院大楼,新增床位{beds}张",
    "胸痛中心、卒中中心建设中,计划新增床位{beds}张",
    "牵头县域医共体,{year}年起托管{n}家基层医疗机构",
    "{year}年起新建日间手术中心,新增床位{beds}张",
)

# Demo visits: most are face to face; the channel ids match what task completion records.
VISIT_CHANNELS = (("face_to_face", 60), ("phone", 25), ("wechat", 10), ("meeting", 5))
