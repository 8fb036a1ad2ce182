// Package signals recognises concerning client messages: every client text
// and caption goes through [Classifier.Classify], which returns a severity
// (urgent, high, attention or none), the category of the worst concern
// (suicide, selfharm, violence, danger, exploitation, housing, money,
// police, health, mood) and every pattern that matched.
//
// # What this package owns
//
// Only recognition. It does not reply to the client (the safety replies are
// locale texts in the dialogs), does not alert coaches and keeps no state.
// A [Classifier] is immutable and safe for concurrent use; build it once
// with [Default] (the data files embedded from signals/data) or [Load] (any
// folder laid out the same way, for tests and for trying new patterns).
// [WriteJSONLines] is the body of the `waakvlam classify` command.
//
// A missed crisis is far worse than a false alarm, so the patterns lean
// towards flagging. Severities used in the data:
//
//   - urgent: suicide (wish to die, plans, goodbyes), self-harm that is
//     happening or just happened, acute danger (fire, intruder, overdose,
//     someone unconscious), violence happening now or a death threat.
//   - high: violence or abuse at home, sexual violence, exploitation in
//     progress (bank card, PIN or DigiD lent out, money mule, drug running,
//     loverboy, online friend asking money), eviction or sleeping outside,
//     no food, bailiff at the door, utilities cut off, arrest, hearing
//     voices, stopping medication, the urge to self-harm, "ik kan niet meer".
//   - attention: debts, letters from collectors, rent arrears, court dates,
//     addiction, illness, loneliness, sadness, anger, stress.
//
// # How matching works
//
// The message is cut into words and emoji. Each word is lower-cased,
// accents and apostrophes are removed ("m'n" -> "mn"), runs of three or more
// equal letters are shortened ("neeeee" -> "nee"), and chat spelling is
// written out from chat.txt ("k" -> "ik", "nie" -> "niet", "mn" -> "mijn").
// Words are compared by a spelling-tolerant form in which ij/ei/y,
// au/ou, doubled letters, a final d/t/dt and a final -en/-e are the same
// ("leve" = "leven", "zelfmoort" = "zelfmoord"). Long pattern words
// (7 letters or more) also match with one typing error ("zelmoord"). Unknown
// words are cut into known words when that is possible ("ikwilnietmeerleven"
// -> "ik wil niet meer leven"); words.txt lists ordinary words that must
// never be cut or corrected. Emoji become words from emoji.txt (":huil").
//
// Patterns are word sequences with alternatives, optional words, prefixes,
// gaps of up to four words, a sentence-end marker and emoji. They never span
// a sentence end (. ! ? , ; or a new line). A match does not count when
//   - a negation word (negation.txt: niet, geen, nooit) stands in one of
//     its gaps ("ik wil niet dood"), or at most three words before it in the
//     same part of the sentence ("ik ben niet verdrietig meer"); words from
//     clause.txt (maar, want, ik ...) stop that look-back;
//   - it overlaps a saying from exceptions.txt ("ik ga dood van het lachen",
//     "dood moe", "die serie is killing", "mijn plant is dood").
//
// Patterns are compiled once and indexed by their first word; a typical
// message is classified in a few microseconds (see BenchmarkClassify).
//
// # Adding a pattern (no programming needed)
//
//  1. Open the file for the category in signals/data/patterns/, for example
//     money.txt. signals/data/README.txt explains the notation.
//  2. Add one line: severity, a short name, the words. For example
//     high    gas-eraf    gas ... afgesloten/dichtgedraaid
//  3. Try it:
//     echo "ze hebben het gas dichtgedraaid" | waakvlam classify
//     The output shows the severity, the category and which pattern matched
//     with which words. During development the same works without a build:
//     echo "..." | go run ./cmd/waakvlam classify
//  4. Add the message, and a few ways of saying it that should NOT be
//     flagged, to signals/testdata/corpus.tsv (severity, category, text,
//     separated by tabs; category - for none). Add the idiom to
//     exceptions.txt when a harmless saying gets flagged.
//  5. Run the evaluation:
//     go test ./signals -run Evaluation -v
//     It prints recall and precision per severity and the false-alarm rate
//     on harmless messages, and fails when urgent recall drops below 0.95 or
//     more than 10% of harmless messages are flagged. Add -misses to list
//     every message that got a different severity than its label.
//
// A data file with a mistake (unknown severity, a chat spelling used as a
// pattern word, a pattern starting with "...") makes Load fail with the file
// and line number, so a broken file never reaches production silently.
//
// testdata/holdout.tsv was written together with corpus.tsv but is never used
// to tune patterns: its figures are the honest estimate of how well the
// patterns work on new messages. Keep it that way: add new examples to
// corpus.tsv.
package signals
