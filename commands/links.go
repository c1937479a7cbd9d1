package commands

import "regexp"

// maskedLink is Markdown's [text](url), which Discord's event description
// and many calendar apps render as "text" pointing anywhere.
var maskedLink = regexp.MustCompile(`\[([^\[\]]*)\]\(\s*<?([^()\s<>]*)>?(?:\s+"[^"]*")?\s*\)`)

// unmaskLinks writes each masked link in s as its text followed by the
// address it goes to, so details copied into a scheduled event or an .ics
// file cannot hide where a link leads ("[Legal hotline](https://evil)").
func unmaskLinks(s string) string {
	return maskedLink.ReplaceAllString(s, "$1 ($2)")
}
