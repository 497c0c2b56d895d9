"""sparkwing.lake"""
