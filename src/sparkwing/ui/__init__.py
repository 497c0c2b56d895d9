"""sparkwing.ui"""
