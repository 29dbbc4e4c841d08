from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = "全体"

    # --- security: idle session timeout ---
    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from config.middleware import mark_session_refreshed_at_login

        user_logged_in.connect(mark_session_refreshed_at_login, dispatch_uid="config.session_refreshed_at_login")

    # --- end security: idle session timeout ---
