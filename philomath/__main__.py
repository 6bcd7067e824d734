from philomath.cli import main

main()
