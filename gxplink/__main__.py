from gxplink.cli import main

main()
