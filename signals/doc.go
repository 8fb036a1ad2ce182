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
// -> "ik wil niet meer leven", using the words of the pattern files, chat.txt
// and words.txt); words.txt lists ordinary words that must never be cut or
// corrected. Emoji become words from emoji.txt (":huil").
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
// Concept rules find a concern whatever the word order. concepts.txt
// defines concepts as lists of words and short phrases in the same notation
// (SELF = ik, mezelf, myself; DIE = dood, sterven, to die; MEANS, CUT, PERP,
// THREAT, NOW, FAREWELL ...), in Dutch with chat spelling and in English.
// rules.txt combines them: "urgent suicide want-die SELF + WANT + DIE" fires
// when all three occur in one clause, in any order, at different words and
// at most 12 words apart ("ik wil dood", "dood wil ik"). A clause ends at
// . ! ? or a new line and at a CLAUSE word (maar); a comma does not end it.
// "- CONCEPT" names a concept that must not be in the clause (a CUT about
// FOOD is no self-harm); "2 of A B C" needs two of the concepts; "@near"
// lets the concepts lie in different sentences up to 40 words apart, for a
// crisis told between ordinary things in a long message. A concept does not
// count when
//   - a NEG word (concepts.txt: niet, geen, not, dont ...) comes before it
//     with at most three words, no comma and no clause.txt word in between
//     ("ik wil niet dood", "i dont want to die"; but "ik kan niet slapen en
//     ik wil dood" is a concern);
//   - it overlaps a saying from exceptions.txt.
//
// A rule's match is an ordinary [Match] named "c:" + the rule name, with the
// words found ("dood ... wil ... ik"), so `waakvlam classify` shows it like a
// pattern. Finally "ignore" lines in rules.txt drop the matches of threat
// patterns and rules in a sentence with a JOKE or GAME concept ("ik ga je
// vermoorden in fifa haha"); Load refuses an ignore line for suicide or
// self-harm, because people hide a crisis behind "haha".
//
// Patterns and concept words are compiled once and indexed by their first
// word; a typical message goes through the patterns and concept rules in a
// few microseconds, a long one in a few tens (see BenchmarkClassify).
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
//     When the same concern can be said in many word orders, add a concept
//     rule instead: put the words in concepts.txt (a new concept, or more
//     words for an existing one: "HIT = slaat, sloeg, schopt, hits") and
//     combine concepts in rules.txt, for example
//     high    money    cut-off    UTIL + CUTOFF
//     which finds "het gas is afgesloten" as well as "afgesloten hebben ze
//     mijn gas". It shows up as c:cut-off.
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
// pattern word, a pattern starting with "...", a rule naming an unknown
// concept) makes Load fail with the file and line number, so a broken file
// never reaches production silently.
//
// testdata/holdout.tsv was written together with corpus.tsv but is never used
// to tune patterns: its figures are the honest estimate of how well the
// patterns work on new messages. Keep it that way: add new examples to
// corpus.tsv.
package signals
