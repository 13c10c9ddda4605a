from otdiag.cli.app import main

main()
