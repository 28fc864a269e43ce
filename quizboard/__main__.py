from quizboard.cli import main

main()
