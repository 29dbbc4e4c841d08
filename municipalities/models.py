from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from plan.models import FixtureLoaded


def check_digit(code5: str) -> int:
    """The check digit of a 5-digit local government code (総務省 全国地方公共団体コード)."""
    weighted = sum(int(digit) * weight for digit, weight in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return (11 - weighted % 11) % 10


def validate_local_government_code(code6: str) -> None:
    if len(code6) != 6 or not code6.isdigit():
        raise ValidationError("団体コードは6桁の数字で入力してください。", code="format")
    if check_digit(code6[:5]) != int(code6[5]):
        raise ValidationError(
            "団体コード %(code)s の検査数字が正しくありません（正しくは %(expected)s）。",
            code="check_digit",
            params={"code": code6, "expected": f"{code6[:5]}{check_digit(code6[:5])}"},
        )


class Municipality(FixtureLoaded):
    """One of Tokyo's 62 区市町村, listed in local-government-code order."""

    class Kind(models.TextChoices):
        WARD = "区", "特別区"
        CITY = "市", "市"
        TOWN = "町", "町"
        VILLAGE = "村", "村"

    class Region(models.TextChoices):
        WARDS = "区部", "区部"
        TAMA = "多摩", "多摩"
        ISLANDS = "島しょ", "島しょ"

    code = models.CharField(
        "団体コード（6桁）", max_length=6, unique=True, validators=[validate_local_government_code]
    )
    code5 = models.CharField(
        "団体コード（5桁）", max_length=5, validators=[RegexValidator(r"^\d{5}$", "5桁の数字で入力してください。")]
    )
    name = models.CharField("名称", max_length=20, unique=True)
    kana = models.CharField("よみ（カタカナ）", max_length=40)
    kind = models.CharField("種別", max_length=2, choices=Kind.choices)
    region = models.CharField("地域", max_length=3, choices=Region.choices)

    class Meta:
        verbose_name = "区市町村"
        verbose_name_plural = "区市町村"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.code and self.code5 and self.code[:5] != self.code5:
            raise ValidationError({"code5": "6桁コードの先頭5桁と一致しません。"})


class MunicipalOfficer(models.Model):
    """Links a municipal officer's account to exactly one municipality."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="ユーザー",
        on_delete=models.CASCADE,
        related_name="municipal_officer",
    )
    municipality = models.ForeignKey(
        Municipality, verbose_name="区市町村", on_delete=models.PROTECT, related_name="officers"
    )

    class Meta:
        verbose_name = "区市町村担当者"
        verbose_name_plural = "区市町村担当者"
        ordering = ["municipality__code", "user__username"]

    def __str__(self):
        return f"{self.municipality.name} {self.user}"
