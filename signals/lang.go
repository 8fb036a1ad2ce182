package signals

// English and Dutch marker words: common words that are (almost) only
// found in one of the two languages, folded and without apostrophes as
// splitRaw leaves them. Words both languages share ("is", "me", "was")
// count for both.
var (
	englishWords = setOf("i", "im", "ive", "id", "ill", "you", "youre", "your", "the", "and", "my", "to", "want",
		"wanna", "dont", "cant", "wont", "it", "its", "he", "she", "they", "is", "am", "are", "was", "were",
		"this", "that", "with", "what", "why", "how", "me", "myself", "anymore", "not", "no", "feel", "just",
		"do", "have", "has", "him", "her", "them", "of", "for", "can", "will", "would", "help", "please",
		"kill", "die", "hurt", "life", "at", "be", "been", "there", "here", "on", "all", "so", "if",
		"u", "ur", "pls", "idk", "cuz", "bc", "gonna", "lol", "should", "could", "again", "today", "tonight")
	dutchWords = setOf("ik", "je", "jij", "het", "de", "een", "en", "niet", "nie", "wil", "ben", "mijn", "mn",
		"is", "dat", "wat", "van", "voor", "met", "maar", "ook", "nog", "heb", "hij", "zij", "ze", "we", "wij",
		"naar", "op", "te", "er", "zijn", "was", "kan", "meer", "geen", "weet", "hoe", "waarom", "mij", "me",
		"mezelf", "dood", "leven", "k", "ff", "nu", "al", "zo", "als", "om", "door", "bij", "uit", "heel",
		"echt", "gewoon", "doe", "ga", "gaat", "moet", "vandaag", "morgen", "niemand", "alles", "wel", "toch")
)

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// detectLang tells whether a message is written in English or Dutch, per
// message (clients mix languages). Ties and messages without marker words
// give "": the reader then keeps the client's own language.
func detectLang(raw []rawToken) string {
	en, nl := 0, 0
	for _, r := range raw {
		if r.emoji {
			continue
		}
		if englishWords[r.word] {
			en++
		}
		if dutchWords[r.word] {
			nl++
		}
	}
	switch {
	case en > nl:
		return "en"
	case nl > en:
		return "nl"
	}
	return ""
}
