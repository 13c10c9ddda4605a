from otdiag.cli.main import main

main()
