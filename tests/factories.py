import factory

from municipalities.models import Municipality, MunicipalOfficer
from plan.models import Department, User
from plan.roles import Role
from plan.services import user_set_role


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
        user_set_role(user=user, role=role, handles_case_records=handles_case_records)
        if municipality is not None:
            MunicipalOfficer.objects.create(user=user, municipality=municipality)
        return user


def welfare_division():
    return Department.objects.get(parent__name="福祉局", name="子供・子育て支援部 育成支援課")


def municipality(name):
    return Municipality.objects.get(name=name)


__all__ = ["UserFactory", "Role", "welfare_division", "municipality"]
