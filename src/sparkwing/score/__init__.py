"""sparkwing.score"""
