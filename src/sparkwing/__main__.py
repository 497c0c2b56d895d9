from sparkwing.cli import main

main()
