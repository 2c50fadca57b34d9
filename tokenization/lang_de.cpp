#include "tokenization/lang_de.hpp"

#include <sstream>

namespace trfpipe::tokenization {

std::map<std::string, std::vector<std::pair<std::string, std::string>>> german_exceptions() {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> exc;
  // Contractions: "auf'm" -> auf + 'm (norm "dem").
  for (const char* word : {"auf", "hinter", "unter", "vor", "über"})
    exc[std::string(word) + "'m"] = {{word, ""}, {"'m", "dem"}};
  for (const char* word : {"du", "er", "ich", "ihr", "sie", "wir"})
    exc[std::string(word) + "'s"] = {{word, ""}, {"'s", "es"}};
  // Single tokens with a norm ("" = none).
  const std::pair<const char*, const char*> with_norm[] = {
      {"'S", "'s"}, {"'s", "'s"}, {"S'", "'s"}, {"s'", "'s"}, {"'n", "ein"}, {"'ne", "eine"},
      {"'nen", "einen"}, {"'nem", "einem"}, {"Abb.", "Abbildung"}, {"Abk.", "Abkürzung"},
      {"Abt.", "Abteilung"}, {"Apr.", "April"}, {"Aug.", "August"}, {"Bd.", "Band"},
      {"Betr.", "Betreff"}, {"Bf.", "Bahnhof"}, {"Bhf.", "Bahnhof"}, {"Bsp.", "Beispiel"},
      {"Dez.", "Dezember"}, {"Di.", "Dienstag"}, {"Do.", "Donnerstag"}, {"Fa.", "Firma"},
      {"Fam.", "Familie"}, {"Feb.", "Februar"}, {"Fr.", "Frau"}, {"Frl.", "Fräulein"},
      {"Hbf.", "Hauptbahnhof"}, {"Hr.", "Herr"}, {"Hrn.", "Herrn"}, {"Jan.", "Januar"},
      {"Jh.", "Jahrhundert"}, {"Jhd.", "Jahrhundert"}, {"Jul.", "Juli"}, {"Jun.", "Juni"},
      {"Mi.", "Mittwoch"}, {"Mio.", "Million"}, {"Mo.", "Montag"}, {"Mrd.", "Milliarde"},
      {"Mrz.", "März"}, {"MwSt.", "Mehrwertsteuer"}, {"Mär.", "März"}, {"Nov.", "November"},
      {"Nr.", "Nummer"}, {"Okt.", "Oktober"}, {"Orig.", "Original"}, {"Pkt.", "Punkt"},
      {"Prof.", "Professor"}, {"Red.", "Redaktion"}, {"Sa.", "Samstag"}, {"Sep.", "September"},
      {"Sept.", "September"}, {"So.", "Sonntag"}, {"Std.", "Stunde"}, {"Str.", "Straße"},
      {"Tel.", "Telefon"}, {"Tsd.", "Tausend"}, {"Univ.", "Universität"},
      {"abzgl.", "abzüglich"}, {"allg.", "allgemein"}, {"bspw.", "beispielsweise"},
      {"bzgl.", "bezüglich"}, {"bzw.", "beziehungsweise"}, {"d.h.", ""}, {"dgl.", "dergleichen"},
      {"ebd.", "ebenda"}, {"eigtl.", "eigentlich"}, {"engl.", "englisch"},
      {"evtl.", "eventuell"}, {"frz.", "französisch"}, {"gegr.", "gegründet"},
      {"ggf.", "gegebenenfalls"}, {"ggfs.", "gegebenenfalls"}, {"ggü.", "gegenüber"},
      {"i.O.", ""}, {"i.d.R.", ""}, {"incl.", "inklusive"}, {"inkl.", "inklusive"},
      {"insb.", "insbesondere"}, {"kath.", "katholisch"}, {"lt.", "laut"}, {"max.", "maximal"},
      {"min.", "minimal"}, {"mind.", "mindestens"}, {"mtl.", "monatlich"}, {"n.Chr.", ""},
      {"orig.", "original"}, {"röm.", "römisch"}, {"s.o.", ""}, {"sog.", ""}, {"stellv.", ""},
      {"tägl.", "täglich"}, {"u.U.", ""}, {"u.s.w.", ""}, {"u.v.m.", ""}, {"usf.", ""},
      {"usw.", ""}, {"uvm.", ""}, {"v.Chr.", ""}, {"v.a.", ""}, {"v.l.n.r.", ""},
      {"vgl.", "vergleiche"}, {"vllt.", "vielleicht"}, {"vlt.", "vielleicht"}, {"z.B.", ""},
      {"z.Bsp.", ""}, {"z.T.", ""}, {"z.Z.", ""}, {"z.Zt.", ""}, {"z.b.", ""}, {"zzgl.", ""},
      {"österr.", "österreichisch"}};
  for (const auto& [orth, norm] : with_norm) exc[orth] = {{orth, norm}};
  for (const char* orth :
       {"``", "''", "A.C.", "a.D.", "A.D.", "A.G.", "a.M.", "a.Z.", "Abs.", "adv.", "al.",
        "B.A.", "B.Sc.", "betr.", "biol.", "Biol.", "ca.", "CDU/CSU", "Chr.", "Cie.", "c/o",
        "co.", "Co.", "d'", "D.C.", "Dipl.-Ing.", "Dipl.", "Dr.", "e.g.", "e.V.", "ehem.",
        "entspr.", "erm.", "etc.", "ev.", "G.m.b.H.", "geb.", "Gebr.", "gem.", "h.c.", "Hg.",
        "hrsg.", "Hrsg.", "i.A.", "i.e.", "i.G.", "i.Tr.", "i.V.", "I.", "II.", "III.", "IV.",
        "Inc.", "Ing.", "jr.", "Jr.", "jun.", "jur.", "K.O.", "L'", "L.A.", "lat.", "M.A.",
        "m.E.", "m.M.", "M.Sc.", "Mr.", "N.Y.", "N.Y.C.", "nat.", "o.a.", "o.ä.", "o.g.", "o.k.",
        "O.K.", "p.a.", "p.s.", "P.S.", "pers.", "phil.", "q.e.d.", "R.I.P.", "rer.", "sen.",
        "St.", "std.", "u.a.", "U.S.", "U.S.A.", "U.S.S.", "Vol.", "vs.", "wiss."})
    exc[orth] = {{orth, ""}};
  return exc;
}

std::vector<std::string> german_stop_words() {
  static const char* const kWords =
      "a ab aber ach acht achte achten achter achtes ag alle allein allem allen aller allerdings "
      "alles allgemeinen als also am an andere anderem anderen andern anders auch auf aus ausser "
      "ausserdem außer außerdem bald bei beide beiden beim beispiel bekannt bereits besonders "
      "besser besten bin bis bisher bist da dabei dadurch dafür dagegen daher dahin dahinter damals "
      "damit danach daneben dank dann daran darauf daraus darf darfst darin darum darunter darüber "
      "das dasein daselbst dass dasselbe davon davor dazu dazwischen daß dein deine deinem deiner "
      "dem dementsprechend demgegenüber demgemäss demgemäß demselben demzufolge den denen denn "
      "denselben der deren derjenige derjenigen dermassen dermaßen derselbe derselben des deshalb "
      "desselben dessen deswegen dich die diejenige diejenigen dies diese dieselbe dieselben diesem "
      "diesen dieser dieses dir doch dort drei drin dritte dritten dritter drittes du durch "
      "durchaus durfte durften dürfen dürft eben ebenso ehrlich eigen eigene eigenen eigener "
      "eigenes ein einander eine einem einen einer eines einige einigen einiger einiges einmal "
      "einmaleins elf en ende endlich entweder er erst erste ersten erster erstes es etwa etwas "
      "euch früher fünf fünfte fünften fünfter fünftes für gab ganz ganze ganzen ganzer ganzes gar "
      "gedurft gegen gegenüber gehabt gehen geht gekannt gekonnt gemacht gemocht gemusst genug "
      "gerade gern gesagt geschweige gewesen gewollt geworden gibt ging gleich gross grosse grossen "
      "grosser grosses groß große großen großer großes gut gute guter gutes habe haben habt hast "
      "hat hatte hatten heisst heißt her heute hier hin hinter hoch hätte hätten ich ihm ihn ihnen "
      "ihr ihre ihrem ihren ihrer ihres im immer in indem infolgedessen ins irgend ist ja jahr "
      "jahre jahren je jede jedem jeden jeder jedermann jedermanns jedoch jemand jemandem jemanden "
      "jene jenem jenen jener jenes jetzt kam kann kannst kaum kein keine keinem keinen keiner "
      "kleine kleinen kleiner kleines kommen kommt konnte konnten kurz können könnt könnte lang "
      "lange leicht leider lieber los machen macht machte mag magst man manche manchem manchen "
      "mancher manches mehr mein meine meinem meinen meiner meines mich mir mit mittel mochte "
      "mochten morgen muss musst musste mussten muß möchte mögen möglich mögt müssen müsst na nach "
      "nachdem nahm natürlich neben nein neue neuen neun neunte neunten neunter neuntes nicht "
      "nichts nie niemand niemandem niemanden noch nun nur ob oben oder offen oft ohne recht rechte "
      "rechten rechter rechtes richtig rund sagt sagte sah satt schlecht schon sechs sechste "
      "sechsten sechster sechstes sehr sei seid seien sein seine seinem seinen seiner seines seit "
      "seitdem selbst sich sie sieben siebente siebenten siebenter siebentes siebte siebten siebter "
      "siebtes sind so solang solche solchem solchen solcher solches soll sollen sollte sollten "
      "sondern sonst sowie später statt tag tage tagen tat teil tel trotzdem tun uhr um und uns "
      "unser unsere unserer unter vergangene vergangenen viel viele vielem vielen vielleicht vier "
      "vierte vierten vierter viertes vom von vor wahr wann war waren wart warum was wegen weil "
      "weit weiter weitere weiteren weiteres welche welchem welchen welcher welches wem wen wenig "
      "wenige weniger weniges wenigstens wenn wer werde werden werdet wessen wie wieder will willst "
      "wir wird wirklich wirst wo wohl wollen wollt wollte wollten worden wurde wurden während "
      "währenddem währenddessen wäre würde würden zehn zehnte zehnten zehnter zehntes zeit zu "
      "zuerst zugleich zum zunächst zur zurück zusammen zwanzig zwar zwei zweite zweiten zweiter "
      "zweites zwischen á über überhaupt übrigens ";
  std::vector<std::string> out;
  std::istringstream in(kWords);
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

}  // namespace trfpipe::tokenization
