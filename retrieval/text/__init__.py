"""From raw text to an Article: sentence splitting, the body/headline/chrome parser, seeds files."""
