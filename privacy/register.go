package privacy

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/config"
)

// Register is the processing register (verwerkingsregister, AVG art. 30)
// of one installation, made from its settings: the retention periods, the
// recipients and the security measures are those in force, not a copy.
type Register struct {
	Made        time.Time   `json:"made"`
	Name        string      `json:"name"`
	Controller  string      `json:"controller"`
	Purposes    []string    `json:"purposes"`
	LegalBasis  string      `json:"legal_basis"`
	People      []string    `json:"categories_of_people"`
	Data        []DataClass `json:"categories_of_data"`
	Recipients  []string    `json:"recipients"`
	Transfers   string      `json:"transfers_outside_eea"`
	Measures    []string    `json:"security_measures"`
	Rights      []string    `json:"rights_of_the_client"`
	SettingsRef string      `json:"settings"`
}

// DataClass is one category of personal data with how long it is kept.
type DataClass struct {
	Name      string `json:"name"`
	What      string `json:"what"`
	Special   bool   `json:"special_category"` // health data (AVG art. 9)
	Retention string `json:"retention"`
	Setting   string `json:"setting,omitempty"`
}

// dataClasses are the categories of data, in Dutch, with the class of
// their retention setting ("" when the retention is not a setting).
var dataClasses = []struct {
	name, what, class, fixed string
	special                  bool
}{
	{"Cliëntgegevens", "voornaam, naam en Mattermost-gebruikersnaam van de coach en backup-coach, taal, Telegram chat-id, Mattermost-kanaal, niveau (licht, normaal, intensief), groep, tijd van het laatste bericht", "stopped", "", false},
	{"Berichten onderweg", "berichten, foto's, brieven, spraakberichten, locaties en contacten van de cliënt, antwoorden van de bot en de coach, zolang ze in een wachtrij staan; afgehandelde berichten worden meteen gewist", "in_flight", "", true},
	{"Gespreksstand", "waar het gesprek met de bot is: de stap, de bladzijden van een brief (Telegram-bestands-id's), een open vraag", "dialog", "", true},
	{"Stemming", "de laatste tien antwoorden op \"Hoe gaat het vandaag?\" (1 tot 5)", "moods", "", true},
	{"Herinneringen en afspraken", "tekst, emoji en tijden van herinneringen, afspraken en check-ins; herinneringen die wachten op ✅ Gedaan", "", "zolang de cliënt ze heeft; weg bij wissen", true},
	{"Zorgsignalen", "ernst en categorie (bijvoorbeeld suïcide, zelfbeschadiging, geweld), tijd, escalatiestappen, wie het oppakte", "alerts", "", true},
	{"Domeingebeurtenissen", "soort gebeurtenis, cliënt-id, tijd en een id (geen tekst), voor de cijfers van de projectleider", "events", "", false},
	{"Oordelen van coaches", "het oordeel van een coach over een bericht van de cliënt (👍, 👎, 🚩), met de woorden van de cliënt, om de herkenning te verbeteren", "verdicts", "", true},
	{"Auditlog", "wie een zorgsignaal kreeg, wanneer het escaleerde en wie het oppakte; wie instellingen, niveau of groep veranderde", "audit", "", false},
	{"Toegangslog (NEN 7513)", "wie wanneer welke gegevens van een cliënt las of veranderde, met de cliënt als pseudoniem; geen tekst of namen", "access_log", "", false},
	{"Onbekenden", "een telling per uur van berichten en foute codes van chats die aan geen cliënt gekoppeld zijn, onder een sleutel-hash van het chat-id", "", "2 uur", false},
	{"Uitnodigingscodes", "de code (alleen als sleutel-hash) en de cliënt", "", "tot de code gebruikt is of verloopt (WAAKVLAM_INVITE_TTL)", false},
}

// NewRegister makes the register from the settings in force.
func NewRegister(cfg config.Config, now time.Time) Register {
	r := Register{
		Made:       now.UTC(),
		Name:       "Waakvlam: licht, langdurig contact tussen cliënten met een licht verstandelijke beperking en hun levenscoach, via een Telegram-bot",
		Controller: "de gemeente die Waakvlam inzet (in te vullen: naam, contactgegevens, functionaris gegevensbescherming)",
		Purposes: []string{
			"contact tussen cliënt en coach: berichten, vragen en brieven van de cliënt komen bij de coach, antwoorden van de coach bij de cliënt",
			"structuur: herinneringen, afspraken en check-ins (\"Hoe gaat het vandaag?\") sturen",
			"veiligheid: zorgelijke berichten herkennen, de cliënt meteen een veilig antwoord met hulpnummers geven en de coach (en zo nodig een backup of de bereikbaarheidsdienst) waarschuwen",
			"sturing van het programma: cijfers (cliënten in beeld, reactietijden, signalen) uit gebeurtenissen zonder tekst",
			"verbeteren van de herkenning van zorgelijke berichten met de oordelen van coaches",
			"verantwoording: toegangslog (NEN 7513) en auditlog",
		},
		LegalBasis: "te kiezen door de gemeente (zie docs/dpia.md): bijvoorbeeld AVG art. 6 lid 1 sub e (taak van algemeen belang, Wmo 2015) met art. 9 lid 2 sub h en UAVG art. 30 voor gezondheidsgegevens, of uitdrukkelijke toestemming (art. 6 lid 1 sub a, art. 9 lid 2 sub a)",
		People: []string{
			"cliënten: volwassenen met een licht verstandelijke beperking",
			"medewerkers: coaches, backup-coaches, projectleiders, bereikbaarheidsdienst (Mattermost-gebruikersnaam)",
			"mensen over wie een cliënt schrijft of van wie een brief komt (in berichten en brieven)",
			"onbekenden die de bot een bericht sturen (alleen een sleutel-hash van het chat-id in een telling)",
		},
		Recipients: registerRecipients(cfg),
		Transfers:  "Telegram (Telegram Messenger Inc. / Telegram FZ-LLC, Dubai) verwerkt alle berichten tussen cliënt en bot, onversleuteld voor Telegram zelf: chats met een bot zijn nooit end-to-end versleuteld. Of en waar dat buiten de EER gebeurt, bepaalt Telegram; leg dit vast in de DPIA.",
		Rights: []string{
			"inzage en overdraagbaarheid (art. 15, 20): waakvlam client export <cliënt> -recipient <age-sleutel>: alle gegevens als JSON met een overzicht in eenvoudig Nederlands, versleuteld; nooit via Telegram",
			"wissen (art. 17): client wissen <cliënt> in Mattermost (na client stop): alle gegevens en de gegevenssleutel van de cliënt, en het Mattermost-kanaal waar de server dat toestaat",
			"rectificatie (art. 16): de coach past voornaam, coach, niveau en herinneringen aan met de commando's in Mattermost",
		},
		SettingsRef: "instellingen: WAAKVLAM_* (README); dit register toont de waarden van deze installatie",
	}
	for _, d := range dataClasses {
		dc := DataClass{Name: d.name, What: d.what, Special: d.special, Retention: d.fixed}
		for _, rs := range config.RetentionSettings {
			if rs.Class == d.class {
				dc.Retention, dc.Setting = periodText(rs.Of(cfg), rs.Class), rs.Env
			}
		}
		r.Data = append(r.Data, dc)
	}
	r.Measures = measures(cfg)
	return r
}

func periodText(d time.Duration, class string) string {
	s := fmt.Sprintf("%s (%s)", hours(d), dutchPeriod(int(d/(24*time.Hour))))
	switch class {
	case "stopped":
		return s + " na het stoppen (of na aanmaken zonder start); daarna alles gewist zoals met client wissen"
	case "dialog":
		return s + " na de laatste actie van de cliënt"
	case "moods":
		return s + " na het laatste antwoord"
	case "alerts":
		return s + " na melden of oppakken"
	}
	return s
}

// registerRecipients are who receives or holds the data besides the
// municipality's own staff.
func registerRecipients(cfg config.Config) []string {
	out := []string{"Telegram (" + hostOf(cfg.TelegramAPIURL) + "): elk bericht tussen cliënt en bot, leesbaar voor Telegram"}
	if cfg.MattermostURL != "" {
		out = append(out, "Mattermost-server "+hostOf(cfg.MattermostURL)+" (en wie die host): het kanaal van elke cliënt met zijn berichten, brieven en zorgsignalen")
	} else {
		out = append(out, "Mattermost: niet ingesteld (WAAKVLAM_MATTERMOST_URL); met een coach-koppeling krijgt de Mattermost-server het kanaal van elke cliënt")
	}
	if o, err := config.RedisOptions(cfg.RedisURL); err == nil && len(o.Addrs) > 0 {
		out = append(out, "Redis ("+strings.Join(o.Addrs, ", ")+", en wie die host): alle opgeslagen gegevens, de inhoud versleuteld")
	}
	return out
}

// measures are the security measures, as configured.
func measures(cfg config.Config) []string {
	var m []string
	if cfg.Keys != nil {
		m = append(m, fmt.Sprintf("versleuteling in Redis (AES-256-GCM): alle inhoud van een cliënt onder een eigen gegevenssleutel, die versleuteld is met een sleutel buiten Redis (%d sleutel(s) ingesteld, de huidige: %s); wissen van een cliënt wist zijn gegevenssleutel", len(cfg.Keys.IDs()), cfg.Keys.Current()))
	} else {
		m = append(m, "LET OP: geen sleutel voor versleuteling in Redis ingesteld (WAAKVLAM_DATA_KEY of WAAKVLAM_DATA_KEY_FILE); serve start zo niet")
	}
	switch {
	case strings.HasPrefix(cfg.RedisURL, "rediss"):
		m = append(m, "verbinding met Redis over TLS (1.2 of hoger, certificaat gecontroleerd)")
	case cfg.RedisURL != "":
		m = append(m, "LET OP: verbinding met Redis zonder TLS (redis://): alleen op één machine of een afgeschermd netwerk")
	}
	m = append(m, "Redis-gebruiker met beperkte rechten (deploy/users.acl: geen FLUSHALL, KEYS, CONFIG, MONITOR)")
	if cfg.AOFRewrite > 0 {
		m = append(m, "gewiste gegevens verdwijnen van schijf: Redis herschrijft zijn append-only file elke "+hours(cfg.AOFRewrite))
	} else {
		m = append(m, "LET OP: het herschrijven van de append-only file staat uit (WAAKVLAM_AOF_REWRITE=0)")
	}
	m = append(m,
		"toegangslog (NEN 7513) met HMAC-hashketen; waakvlam audit verify vindt een gewijzigde, verwijderde of verschoven regel",
		"alleen de eigen coach, backup-coach, bereikbaarheidsdienst en projectleiders spreken een cliënt en zien zijn kanaal; rollen alleen op Mattermost-gebruikersnaam",
		"uitnodigingscodes: één geldige code per cliënt, opgeslagen als HMAC, pogingen begrensd",
		"logregels bevatten id's, nooit tekst, namen of telefoonnummers; geheimen worden gemaskeerd",
		"bewaartermijnen worden dagelijks toegepast door één replica (retention sweep), met een regel in het toegangslog",
	)
	if cfg.Mode == "webhook" {
		m = append(m, "Telegram-webhook alleen met geheim token (WAAKVLAM_WEBHOOK_SECRET) over https")
	}
	if cfg.AdminAddr != "" {
		m = append(m, "/metrics alleen op het beheeradres "+cfg.AdminAddr)
	}
	return m
}

// Markdown writes the register as a Markdown document.
func (r Register) Markdown(w io.Writer) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Verwerkingsregister Waakvlam (AVG art. 30)\n\n")
	p("Gemaakt met `waakvlam privacy register` op %s uit de instellingen van deze installatie.\n\n", r.Made.Format("2006-01-02 15:04 MST"))
	p("- **Verwerking:** %s\n- **Verwerkingsverantwoordelijke:** %s\n- **Grondslag:** %s\n\n", r.Name, r.Controller, r.LegalBasis)
	list := func(title string, items []string) {
		p("## %s\n\n", title)
		for _, it := range items {
			p("- %s\n", it)
		}
		p("\n")
	}
	list("Doelen", r.Purposes)
	list("Categorieën betrokkenen", r.People)
	p("## Categorieën persoonsgegevens en bewaartermijnen\n\n| gegevens | wat | bijzonder (art. 9) | bewaartermijn | instelling |\n| --- | --- | --- | --- | --- |\n")
	for _, d := range r.Data {
		special := "nee"
		if d.Special {
			special = "ja (gezondheid)"
		}
		p("| %s | %s | %s | %s | %s |\n", d.Name, d.What, special, d.Retention, code(d.Setting))
	}
	p("\n")
	list("Ontvangers", r.Recipients)
	p("## Doorgifte buiten de EER\n\n%s\n\n", r.Transfers)
	list("Beveiligingsmaatregelen", r.Measures)
	list("Rechten van de cliënt", r.Rights)
	p("%s\n", r.SettingsRef)
	_, err := io.WriteString(w, b.String())
	return err
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}
