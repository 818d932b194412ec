from mmem.cli import main

main()
