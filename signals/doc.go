// Package signals recognises concerning client messages: every client text
// and caption goes through [Classifier.Classify], which returns a severity
// (urgent, high, attention or none), the category of the worst concern
// (suicide, selfharm, violence, danger, exploitation, housing, money,
// police, health, mood), every pattern that matched, the language of the
// message, the model's probabilities and whether the bot should ask back.
//
// # What this package owns
//
// Only recognition. It does not reply to the client (the safety replies are
// locale texts in the dialogs), does not alert coaches and keeps no state.
// A [Classifier] is immutable and safe for concurrent use; build it once
// with [Default] (the data files embedded from signals/data) or [Load] (any
// folder laid out the same way, for tests and for trying new patterns).
// [WriteJSONLines] is the body of the `waakvlam classify` command; [Train]
// is the body of `waakvlam signals train`.
//
// Two parts look at every message, and either can raise its severity:
//
//   - the patterns and concept rules (signals/data, readable and editable
//     by a project leader, explained below): precise, explainable, and
//     blind to wordings nobody wrote down;
//   - a trained model (data/model.bin.gz, see "The model"): it generalises
//     to new wordings, and is wrong in ways nobody can read off.
//
// A missed crisis is far worse than a false alarm, so the combination leans
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
// written out from chat.txt ("k" -> "ik", "nie" -> "niet", "mn" -> "mijn";
// "me" is read as "me" and as "mijn"; regional spellings of older clients such
// as "ich", "neet", "noe" and street words such as "osso", "waggie", "fon").
// Words are compared by a spelling-tolerant form in which ij/ei/y,
// au/ou, doubled letters, a final d/t/dt and a final -en/-e are the same
// ("leve" = "leven", "zelfmoort" = "zelfmoord"). Long pattern words
// (7 letters or more) also match with one typing error ("zelmoord"). Unknown
// words are cut into known words when that is possible ("ikwilnietmeerleven"
// -> "ik wil niet meer leven", using the words of the pattern files, chat.txt
// and words.txt). Each piece must be spelled out in the glued word, not only
// sound alike ("zingen" is not "zin geen", "zondag" not "zoon dag"), and chat
// spellings shorter than three letters ("dr", "ma") are no pieces. words.txt
// lists ordinary words that must never be cut or corrected ("mevrouw",
// "zaterdag"). Emoji become words from emoji.txt (":huil").
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
// starting at most 12 words apart ("ik wil dood", "dood wil ik"). A clause ends at
// . ! ? or a new line and at a CLAUSE word (maar); a comma does not end it.
// "- CONCEPT" names a concept that must not be in the clause (a CUT about
// FOOD is no self-harm); "2 of A B C" needs two of the concepts; "@near"
// lets the concepts lie in different sentences up to 40 words apart, for a
// crisis told between ordinary things in a long message. A concept does not
// count when
//   - a NEG word (concepts.txt: niet, geen, not, dont ...) comes before it
//     with at most three words, no comma and no clause.txt word in between
//     ("ik wil niet dood", "i dont want to die"; but "ik kan niet slapen en
//     ik wil dood" is a concern). A NEG word inside a longer concept phrase
//     ("heb ze niet meer nodig", "komt niet meer boven") belongs to that
//     phrase: it cancels nothing after it ("ik heb ze niet meer nodig waar
//     ik heen ga" has both warning signs);
//   - it overlaps a saying from exceptions.txt.
//
// Context concepts keep ordinary stories apart from a concern: FOOD (and
// hair, paper, the garden) for cutting, PREY (a fish, a mouse) and PLAYFIGHT
// (boxing, a pillow fight, the shooting club) for hitting, FICTION (a film,
// a book, a comedy show) for threats and crying, TEARS (onions, joy) for
// crying, DELIVERY (a parcel, the postman) for someone at the door, SAFE (the
// fitter has checked it) for a gas smell, ADMIN (the notary) for a will,
// TASK (homework, the dishes) for "klaar mee", FULL (eaten too much) for
// "ik kan niet meer", MINOR ("klein beetje, pleister erop") for a small
// injury, BLOODPLACE (the abattoir) for "veel bloed". They are used with "-"
// in rules or in "ignore" lines, never to lower suicide or self-harm found
// by another rule. BOARDGAME (a piece "geslagen" at ludo), PRETEND (playing
// doctor), BALLHIT (hitting a ball) and PETTY (a quarrel about the dishes,
// made up again) drop a hit, an injury or a quarrel. A laugh may drop "geen
// lucht meer na die trap haha", never
// "ik heb me gesneden haha". Accidents said as such ("me gesneden aan een
// blikje", cut on something rather than with it), dying five times in a
// game and someone else's tears are sayings in exceptions.txt.
//
// A rule's match is an ordinary [Match] named "c:" + the rule name, with the
// words found ("dood ... wil ... ik"), so `waakvlam classify` shows it like a
// pattern. Finally "ignore" lines in rules.txt drop the matches of threat
// patterns and rules in a sentence with a JOKE or GAME concept ("ik ga je
// vermoorden in fifa haha"), and of breathlessness, "ik kan niet meer" and
// "klaar mee" with a laugh, a full stomach or a chore; an ignore line ending
// in "@near" looks up to 40 words around the match instead ("we keken een
// film. ik moest zo huilen", "hij zei dat hij me zou vermoorden. met een
// knipoog hoor").
// Load refuses an ignore line for suicide or self-harm, because people hide
// a crisis behind "haha".
//
// Patterns and concept words are compiled once and indexed by their first
// word (a phrase is only tried when its next word, or the word after its
// gap, is in the message there); a typical message goes through the
// patterns and concept rules in about ten microseconds, a long one in a few
// tens (see BenchmarkClassify).
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
//  5. Run the evaluation and retrain the model (it is trained beside the
//     patterns, so its thresholds depend on them):
//     go run ./cmd/waakvlam signals train
//     go test ./signals -run Evaluation -v
//     The table has a row per labelled set; add -misses to list every
//     message that got a different severity than its label.
//
// A data file with a mistake (unknown severity, a chat spelling used as a
// pattern word, a pattern starting with "...", a rule naming an unknown
// concept) makes Load fail with the file and line number, so a broken file
// never reaches production silently.
//
// # The model
//
// A logistic regression with two heads (severity; category of a concern)
// over hashed features of the same normalised words the patterns see: each
// word, negated words, neighbouring word pairs, unordered word pairs up to
// four apart in a clause ("dood wil ik" and "ik wil dood" share them), and
// letter groups of 3 to 5 inside words, so unseen spellings resemble known
// ones. A feature counts once however often it occurs. The whole message
// and each of its sentences are scored, and the most worrying part counts,
// so one crisis sentence in a long story is not drowned by the rest.
// Weights are 16-bit integers; the model takes about 8 MB of memory and a
// message takes tens of microseconds (BenchmarkClassifyP99).
//
// `waakvlam signals train` trains it from corpus.tsv, holdout.tsv and
// testdata/train/*.tsv with a fixed seed (the same corpus gives the same
// file), with extra examples made from them: chat spelling and typing
// errors, a short concern buried in harmless talk, and every sentence of a
// harmless message on its own. Its thresholds come from out-of-fold scores
// (five folds) together with the patterns: the model may flag 5% of
// harmless messages beyond what the patterns flag, and that budget goes to
// urgent first, then to asking back, then to high. Attention stays with
// the patterns. The model file records the sources, the thresholds and the
// out-of-fold figures; TestModelTrainedOnCurrentCorpus fails when the
// corpus changed and the model was not retrained.
//
// A message the model finds possibly urgent, below its urgent threshold
// and without an urgent pattern, comes out as high with AskBack set: the
// dialogs then ask the client one gentle question ("Bedoel je dat je
// jezelf iets wil aandoen?") and a yes or "weet ik niet" takes the urgent
// path. English is classified like Dutch (the corpus has both); Lang says
// which language a message is in, per message, so replies can follow it.
//
// # Measuring honestly: blind sets
//
// A set written by the hand that wrote the patterns measures memory, not
// recognition (the old holdout.tsv said 0.97 where outside sets said 0.25
// and 0.55), so holdout.tsv is now ordinary training data. The measurement
// is blind sets: labelled messages written by people (helper sessions) who
// never saw this package or the other sets, each from its own brief. A
// blind set lives in testdata/blind/ until it has been measured once; its
// first figures go into testdata/blind/measured.txt and the table below,
// and after that it may join the training data (testdata/train/blind-*),
// so the next measurement needs fresh sets. TestEvaluation fails when a
// blind set in testdata/blind/ misses the targets (urgent recall >= 0.95;
// urgent and high seen as >= high >= 0.90; harmless flagged <= 0.10), or,
// where its first measurement already missed one, falls more than 0.02
// below that first figure. It also asks for at least three blind sets of
// at least 200 messages.
//
// The writers' labelling guide (severity and category definitions, as in
// this comment) was the only thing they were shown. Every set has roughly
// 70 urgent, 55 high, 40 attention and 95 harmless messages, with harmless
// traps (idioms, games, lyrics, jokes with dood, springen, snijden, slaan,
// pillen) at least a third of the harmless ones.
//
//	date        set (writer's brief)                         n    urgent  u+h>=high  harmless
//	                                                               recall             flagged
//	2026-11-30  r1 street: young clients, street Dutch,       260   0.907    0.915     0.044
//	            Moroccan-/Surinamese-Dutch slang, English
//	2026-11-30  r1 long-older: long rambling messages with    260   1.000    0.985     0.244
//	            a concern inside; clients of 45-70
//	2026-11-30  r1 mixed-traps: mixed Dutch-English, many     260   0.943    0.933     0.067
//	            harmless traps
//	2026-11-30  r2 quiet: withdrawn clients, indirect         260   0.853    0.854     0.144
//	            warning signs, vague emergencies
//	2026-11-30  r2 everyday: a week of work and hobbies,      260   0.954    0.957     0.181
//	            many traps
//	2026-11-30  r2 dictated: speech-to-text, run-on, Dutch    260   0.971    0.960     0.158
//	            and English
//	2026-11-30  r3 family: life with partner, parents,        260   0.986    0.976     0.105
//	            children; conflict, control, money
//	2026-11-30  r3 health: body and medication, harmless      260   0.929    0.912     0.053
//	            aches next to emergencies and overdoses
//	2026-11-30  r3 night: nights and weekends, going out,     260   0.920    0.946     0.074
//	            drinking, lyrics, slang, English
//	2026-11-30  r4 online: social media, gaming, dating,      260   0.914    0.912     0.095
//	            sextortion, internet slang, 40% English
//	2026-11-30  r4 venting: crisis-line style: ambivalence,   260   0.880    0.885     0.122
//	            partial plans, past attempts, plain venting
//	2026-11-30  r4 work: sheltered work, day care, school,    260   0.929    0.888     0.032
//	            work accidents, work jargon traps
//
// Each round measured the classifier after the previous round had joined
// the training data and the rules had a pass over it (round 1: the first
// model and concept rules). The rules alone, on a round they had not yet
// seen, found 0.79-0.94 of its urgent messages (round 3) and flagged
// 4-9% of its harmless ones; the model lifts recall by catching wordings
// the rules lack. Every new brief finds wordings neither part knows: the
// targets were met by some sets in some rounds, never by all three sets of
// a round. The round 4 sets are in testdata/blind/ now; the next change to
// the recogniser is measured on fresh ones. "Urgent or asked back" (the
// bot asks, and a yes takes the urgent path) was 0.943, 0.893 and 0.929
// in round 4.
//
// # The coach's verdicts
//
// Coaches mark a flagged post right or wrong, or an unflagged one as
// worrying (coach package). `waakvlam signals export-verdicts` prints those
// as labelled lines for a person to check and add to the training data;
// they are real clients' words, so they are reviewed, never added blindly.
package signals
