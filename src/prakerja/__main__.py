from prakerja.cli import main

main()
