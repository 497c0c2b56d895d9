"""sparkwing.cli"""
