"""`alpes topics` (the contract's topics) and `alpes topics grant` (who may use them)."""

import typer

from adapters.pulsar_admin import AdminError, PulsarAdmin
from workers.permissions import Roles, namespace, subscription_grants, topic_grants

from . import contracts
from .common import USAGE, fail, settings

DEFAULT = Roles()

app = typer.Typer(
    help="The contract's topics (without a sub-command: list them) and who may use them.",
    invoke_without_command=True,
)


@app.callback()
def topics(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Every topic of the contract, with its direction and body type."""
    if ctx.invoked_subcommand is None:
        contracts.topics(as_json)


@app.command()
def grant(
    admin_url: str = typer.Option(
        None, "--admin-url", help="The admin REST API (default: ALPES_PULSAR_ADMIN_URL)."
    ),
    service: str = typer.Option(DEFAULT.service, help="Role of the workers."),
    producer: str = typer.Option(DEFAULT.command_producer, help="Role that sends commands."),
    consumer: str = typer.Option(DEFAULT.event_consumer, help="Role that reads events."),
    consumer_subscription: str = typer.Option(
        DEFAULT.event_consumer_subscription, help="The event consumer's own subscription."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the grants, change nothing."),
) -> None:
    """Apply the service's permissions on Apache Pulsar (authorization on): each topic of
    the contract and each dead-letter topic, and the worker subscriptions. Idempotent.
    Authenticates with ALPES_PULSAR_ADMIN_TOKEN (a superuser's token)."""
    config = settings()
    try:
        roles = Roles(service, producer, consumer, consumer_subscription)
    except ValueError as error:
        fail(str(error))
    grants, subscriptions = topic_grants(roles), subscription_grants(roles)
    if dry_run:
        for g in grants:
            typer.echo(f"{g.role:<18} {','.join(g.actions):<16} {g.topic}")
        for subscription, allowed in subscriptions.items():
            typer.echo(f"{','.join(allowed):<18} {'subscribe':<16} {subscription} (subscription)")
        return
    url = admin_url or config.pulsar_admin_url
    if not url:
        fail(
            "no admin URL: pass --admin-url or set ALPES_PULSAR_ADMIN_URL (e.g. https://host:8443)",
            USAGE,
        )
    token = config.pulsar_admin_token.get_secret_value() if config.pulsar_admin_token else None
    created = 0
    try:
        admin = PulsarAdmin(
            url, token=token, tls_trust_certs_file_path=config.pulsar_tls_trust_certs
        )
        for topic in dict.fromkeys(g.topic for g in grants):
            created += admin.ensure_topic(topic)
        for g in grants:
            admin.grant_on_topic(g.topic, g.role, g.actions)
            typer.echo(f"{g.role:<18} {','.join(g.actions):<16} {g.topic}")
        for subscription, allowed in subscriptions.items():
            admin.grant_subscription(namespace(), subscription, allowed)
            typer.echo(f"{','.join(allowed):<18} {'subscribe':<16} {subscription} (subscription)")
    except (AdminError, ValueError) as error:
        fail(str(error))
    typer.echo(
        f"granted {len(grants)} topic permissions ({created} topics created) and "
        f"{len(subscriptions)} subscriptions on {admin.shown_url}",
        err=True,
    )
