"""sparkwing.mojo"""
