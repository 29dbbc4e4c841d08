import factory

from municipalities.models import Municipality, MunicipalOfficer
from plan.accounts.roles import Role
from plan.accounts.services import case_permission_grant, user_set_role
from plan.models import Department, User

OPERATOR_USERNAME = "case-permission-operator"


class UserFactory(factory.django.DjangoModelFactory):
    """A user in one role. `municipality` (officers) and `departments` (bureau staff) as needed."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    # Not model fields: _create takes them off and applies them through the services.
    role = None
    handles_case_records = False
    municipality = None

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "試験"
    first_name = factory.Sequence(lambda n: f"利用者{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.jp")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def departments(self, create, extracted, **kwargs):
        if create and extracted:
            self.departments.set(extracted)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()

    @classmethod
    def _create(cls, model_class, *args, role=None, handles_case_records=False, municipality=None, **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        user_set_role(user=user, role=role)
        if municipality is not None:
            MunicipalOfficer.objects.create(user=user, municipality=municipality)
        if handles_case_records:
            # Through the one path production uses, so a test cannot hand out what no one could.
            case_permission_grant(user=user, granted_by=operator(), reason="テスト用", via="command")
        return user


def operator():
    """The system operator (an active superuser) that grants the case permission in tests."""
    user, created = User.objects.get_or_create(
        username=OPERATOR_USERNAME,
        defaults={"is_superuser": True, "is_staff": True, "last_name": "運用", "first_name": "担当"},
    )
    if created:
        user.set_unusable_password()
        user.save()
    return user


def welfare_division():
    return Department.objects.get(parent__name="福祉局", name="子供・子育て支援部 育成支援課")


def municipality(name):
    return Municipality.objects.get(name=name)


__all__ = ["UserFactory", "Role", "operator", "welfare_division", "municipality"]
