"""Where a synthetic report comes from: real places and the departments that publish."""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------------------------
# Places: real, unambiguous county/prefecture names with their current GB/T 2260 codes (checked
# against the areacodes reference; none of them renamed or recoded since 2019).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    name: str
    code: str
    parent: str | None  # printed before a county's name sometimes; None for prefecture-level places

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


PLACES: tuple[Place, ...] = (
    Place("大武口区", "640202", "石嘴山市"),
    Place("中卫市", "640500", None),
    Place("鼎城区", "430703", "常德市"),
    Place("昆都仑区", "150203", "包头市"),
    Place("奉化区", "330213", "宁波市"),
    Place("顺德区", "440606", "佛山市"),
    Place("南海区", "440605", "佛山市"),
    Place("江宁区", "320115", "南京市"),
    Place("浦东新区", "310115", "上海市"),
    Place("晋江市", "350582", "泉州市"),
    Place("凤凰县", "433123", "湘西土家族苗族自治州"),
    Place("阳朔县", "450321", "桂林市"),
    Place("寿光市", "370783", "潍坊市"),
    Place("瑞丽市", "533102", "德宏傣族景颇族自治州"),
    Place("喀什市", "653101", "喀什地区"),
    Place("延吉市", "222401", "延边朝鲜族自治州"),
    Place("嘉峪关市", "620200", None),
    Place("景德镇市", "360200", None),
    Place("株洲市", "430200", None),
    Place("乐清市", "330382", "温州市"),
    Place("永康市", "330784", "金华市"),
    Place("增城区", "440118", "广州市"),
    Place("吴江区", "320509", "苏州市"),
    Place("海淀区", "110108", "北京市"),
    Place("闵行区", "310112", "上海市"),
    Place("双流区", "510116", "成都市"),
    Place("金水区", "410105", "郑州市"),
    Place("雁塔区", "610113", "西安市"),
    Place("思明区", "350203", "厦门市"),
    Place("岳麓区", "430104", "长沙市"),
    Place("兴庆区", "640104", "银川市"),
    Place("红寺堡区", "640303", "吴忠市"),
    Place("郫都区", "510117", "成都市"),
    Place("洪山区", "420111", "武汉市"),
)

# (department, how the report calls itself)
_DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("应急管理局", "我局"),
    ("教育局", "我局"),
    ("人民政府办公室", "我办"),
    ("生态环境局", "我局"),
    ("财政局", "我局"),
    ("民政局", "我局"),
    ("司法局", "我局"),
    ("自然资源局", "我局"),
    ("住房和城乡建设局", "我局"),
    ("交通运输局", "我局"),
    ("农业农村局", "我局"),
    ("水利局", "我局"),
    ("卫生健康局", "我局"),
    ("市场监督管理局", "我局"),
    ("人力资源和社会保障局", "我局"),
    ("文化和旅游局", "我局"),
    ("审计局", "我局"),
    ("统计局", "我局"),
    ("退役军人事务局", "我局"),
    ("医疗保障局", "我局"),
    ("发展和改革委员会", "我委"),
    ("人民政府", "本机关"),
    ("", "本机关"),  # the place's government itself, titled with the place name only (seed 004)
)
