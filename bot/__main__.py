from bot.cli.main import main

# Guarded: worker processes (bulk ingest, refresh analysis) are spawned and import the main module.
if __name__ == "__main__":
    raise SystemExit(main())
