"""The command line's subcommands (contract: shared/spec/cli.md), one module each, each with
``add_parser(subparsers)`` and ``run(args) -> exit code``. Only ``wanwan.cli`` imports them."""
