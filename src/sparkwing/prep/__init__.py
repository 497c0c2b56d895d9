"""sparkwing.prep"""
