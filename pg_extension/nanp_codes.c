/*-------------------------------------------------------------------------
 *
 * nanp_codes.c
 *	  The geographic area codes of the North American Numbering Plan (+1)
 *	  with their ISO 3166-1 country and the IANA time zone where most of
 *	  their subscribers are (used for quiet hours).
 *
 * +1 is shared by the US and its territories, Canada and 18 Caribbean and
 * Atlantic countries and territories; the area code (NPA: the 3 digits
 * after the 1) tells them apart.  Listed: the area codes in service as
 * NANPA assigns them (checked against libphonenumber's metadata v9.0.35,
 * July 2026): every US state, DC and territory, every Canadian province
 * and territory, the Caribbean members and Bermuda.  Not listed: the
 * non-geographic codes (toll-free 8xx, 5xx, 600, 622, 700, 900...) and
 * codes reserved for future relief but not yet in service.  Their numbers
 * answer the +1 entry of phone_codes.c (US, America/New_York), so a new
 * overlay is a new line here.
 *
 * The zone is the state's or province's (Indiana, Michigan, Kentucky and
 * Idaho have their own in the tz database; Quebec, like Ontario, is
 * America/Toronto).  Where an area code spans two zones the entry gives
 * the zone of most of its population and a comment names the rest, which
 * is an hour off.  Every name is in PostgreSQL's pg_timezone_names
 * (t/sql/19-nanp-zones.sql checks them all).
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"

#include <stdlib.h>
#include <string.h>

/* Sorted by area code: lookup is a binary search. */
static const NanpAreaCode nanp_area_codes[] = {
	{"201", "US", "America/New_York"},				/* NJ */
	{"202", "US", "America/New_York"},				/* DC */
	{"203", "US", "America/New_York"},				/* CT */
	{"204", "CA", "America/Winnipeg"},				/* MB */
	{"205", "US", "America/Chicago"},				/* AL */
	{"206", "US", "America/Los_Angeles"},			/* WA */
	{"207", "US", "America/New_York"},				/* ME */
	/* southern Idaho (Boise) is Mountain, the panhandle Pacific */
	{"208", "US", "America/Boise"},					/* ID */
	{"209", "US", "America/Los_Angeles"},			/* CA */
	{"210", "US", "America/Chicago"},				/* TX */
	{"212", "US", "America/New_York"},				/* NY */
	{"213", "US", "America/Los_Angeles"},			/* CA */
	{"214", "US", "America/Chicago"},				/* TX */
	{"215", "US", "America/New_York"},				/* PA */
	{"216", "US", "America/New_York"},				/* OH */
	{"217", "US", "America/Chicago"},				/* IL */
	{"218", "US", "America/Chicago"},				/* MN */
	/* northwest Indiana (Gary, Hammond, Michigan City) is Central */
	{"219", "US", "America/Chicago"},				/* IN */
	{"220", "US", "America/New_York"},				/* OH */
	{"223", "US", "America/New_York"},				/* PA */
	{"224", "US", "America/Chicago"},				/* IL */
	{"225", "US", "America/Chicago"},				/* LA */
	{"226", "CA", "America/Toronto"},				/* ON */
	{"227", "US", "America/New_York"},				/* MD */
	{"228", "US", "America/Chicago"},				/* MS */
	{"229", "US", "America/New_York"},				/* GA */
	{"231", "US", "America/Detroit"},				/* MI */
	{"234", "US", "America/New_York"},				/* OH */
	{"235", "US", "America/Chicago"},				/* MO */
	{"236", "CA", "America/Vancouver"},				/* BC */
	{"239", "US", "America/New_York"},				/* FL */
	{"240", "US", "America/New_York"},				/* MD */
	{"242", "BS", "America/Nassau"},				/* Bahamas */
	{"246", "BB", "America/Barbados"},				/* Barbados */
	{"248", "US", "America/Detroit"},				/* MI */
	{"249", "CA", "America/Toronto"},				/* ON */
	/* the East Kootenay is Mountain, the Peace River MST all year */
	{"250", "CA", "America/Vancouver"},				/* BC */
	{"251", "US", "America/Chicago"},				/* AL */
	{"252", "US", "America/New_York"},				/* NC */
	{"253", "US", "America/Los_Angeles"},			/* WA */
	{"254", "US", "America/Chicago"},				/* TX */
	{"256", "US", "America/Chicago"},				/* AL */
	{"257", "CA", "America/Vancouver"},				/* BC */
	{"260", "US", "America/Indiana/Indianapolis"},	/* IN */
	{"262", "US", "America/Chicago"},				/* WI */
	{"263", "CA", "America/Toronto"},				/* QC */
	{"264", "AI", "America/Anguilla"},				/* Anguilla */
	{"267", "US", "America/New_York"},				/* PA */
	{"268", "AG", "America/Antigua"},				/* Antigua and Barbuda */
	{"269", "US", "America/Detroit"},				/* MI */
	/*
	 * western and south-central Kentucky (Bowling Green, Owensboro, Paducah)
	 * is Central; Elizabethtown and its neighbours Eastern
	 */
	{"270", "US", "America/Chicago"},				/* KY */
	{"272", "US", "America/New_York"},				/* PA */
	{"274", "US", "America/Chicago"},				/* WI */
	{"276", "US", "America/New_York"},				/* VA */
	{"279", "US", "America/Los_Angeles"},			/* CA */
	{"281", "US", "America/Chicago"},				/* TX */
	{"283", "US", "America/New_York"},				/* OH */
	{"284", "VG", "America/Tortola"},				/* Virgin Islands (UK) */
	{"289", "CA", "America/Toronto"},				/* ON */
	{"301", "US", "America/New_York"},				/* MD */
	{"302", "US", "America/New_York"},				/* DE */
	{"303", "US", "America/Denver"},				/* CO */
	{"304", "US", "America/New_York"},				/* WV */
	{"305", "US", "America/New_York"},				/* FL */
	/* Saskatchewan keeps CST all year (Lloydminster follows Alberta) */
	{"306", "CA", "America/Regina"},				/* SK */
	{"307", "US", "America/Denver"},				/* WY */
	/*
	 * western Nebraska: the Panhandle (Scottsbluff) is Mountain, Grand
	 * Island, Kearney and North Platte Central
	 */
	{"308", "US", "America/Chicago"},				/* NE */
	{"309", "US", "America/Chicago"},				/* IL */
	{"310", "US", "America/Los_Angeles"},			/* CA */
	{"312", "US", "America/Chicago"},				/* IL */
	{"313", "US", "America/Detroit"},				/* MI */
	{"314", "US", "America/Chicago"},				/* MO */
	{"315", "US", "America/New_York"},				/* NY */
	{"316", "US", "America/Chicago"},				/* KS */
	{"317", "US", "America/Indiana/Indianapolis"},	/* IN */
	{"318", "US", "America/Chicago"},				/* LA */
	{"319", "US", "America/Chicago"},				/* IA */
	{"320", "US", "America/Chicago"},				/* MN */
	{"321", "US", "America/New_York"},				/* FL */
	{"323", "US", "America/Los_Angeles"},			/* CA */
	{"324", "US", "America/New_York"},				/* FL */
	{"325", "US", "America/Chicago"},				/* TX */
	{"326", "US", "America/New_York"},				/* OH */
	{"327", "US", "America/Chicago"},				/* AR */
	{"329", "US", "America/New_York"},				/* NY */
	{"330", "US", "America/New_York"},				/* OH */
	{"331", "US", "America/Chicago"},				/* IL */
	{"332", "US", "America/New_York"},				/* NY */
	{"334", "US", "America/Chicago"},				/* AL */
	{"336", "US", "America/New_York"},				/* NC */
	{"337", "US", "America/Chicago"},				/* LA */
	{"339", "US", "America/New_York"},				/* MA */
	{"340", "VI", "America/St_Thomas"},				/* Virgin Islands (US) */
	{"341", "US", "America/Los_Angeles"},			/* CA */
	{"343", "CA", "America/Toronto"},				/* ON */
	{"345", "KY", "America/Cayman"},				/* Cayman Islands */
	{"346", "US", "America/Chicago"},				/* TX */
	{"347", "US", "America/New_York"},				/* NY */
	{"350", "US", "America/Los_Angeles"},			/* CA */
	{"351", "US", "America/New_York"},				/* MA */
	{"352", "US", "America/New_York"},				/* FL */
	{"353", "US", "America/Chicago"},				/* WI */
	{"354", "CA", "America/Toronto"},				/* QC */
	{"360", "US", "America/Los_Angeles"},			/* WA */
	{"361", "US", "America/Chicago"},				/* TX */
	{"363", "US", "America/New_York"},				/* NY */
	/* overlay of 270: the same split */
	{"364", "US", "America/Chicago"},				/* KY */
	{"365", "CA", "America/Toronto"},				/* ON */
	{"367", "CA", "America/Toronto"},				/* QC */
	{"368", "CA", "America/Edmonton"},				/* AB */
	{"369", "US", "America/Los_Angeles"},			/* CA */
	{"380", "US", "America/New_York"},				/* OH */
	{"382", "CA", "America/Toronto"},				/* ON */
	{"385", "US", "America/Denver"},				/* UT */
	{"386", "US", "America/New_York"},				/* FL */
	{"401", "US", "America/New_York"},				/* RI */
	{"402", "US", "America/Chicago"},				/* NE */
	{"403", "CA", "America/Edmonton"},				/* AB */
	{"404", "US", "America/New_York"},				/* GA */
	{"405", "US", "America/Chicago"},				/* OK */
	{"406", "US", "America/Denver"},				/* MT */
	{"407", "US", "America/New_York"},				/* FL */
	{"408", "US", "America/Los_Angeles"},			/* CA */
	{"409", "US", "America/Chicago"},				/* TX */
	{"410", "US", "America/New_York"},				/* MD */
	{"412", "US", "America/New_York"},				/* PA */
	{"413", "US", "America/New_York"},				/* MA */
	{"414", "US", "America/Chicago"},				/* WI */
	{"415", "US", "America/Los_Angeles"},			/* CA */
	{"416", "CA", "America/Toronto"},				/* ON */
	{"417", "US", "America/Chicago"},				/* MO */
	/* the Magdalen Islands and Blanc-Sablon are Atlantic */
	{"418", "CA", "America/Toronto"},				/* QC */
	{"419", "US", "America/New_York"},				/* OH */
	/*
	 * Chattanooga and the Tri-Cities are Eastern; Marion, Sequatchie and
	 * Bledsoe counties Central
	 */
	{"423", "US", "America/New_York"},				/* TN */
	{"424", "US", "America/Los_Angeles"},			/* CA */
	{"425", "US", "America/Los_Angeles"},			/* WA */
	{"428", "CA", "America/Moncton"},				/* NB */
	{"430", "US", "America/Chicago"},				/* TX */
	{"431", "CA", "America/Winnipeg"},				/* MB */
	/* Culberson County (Van Horn) is Mountain */
	{"432", "US", "America/Chicago"},				/* TX */
	{"434", "US", "America/New_York"},				/* VA */
	{"435", "US", "America/Denver"},				/* UT */
	{"437", "CA", "America/Toronto"},				/* ON */
	{"438", "CA", "America/Toronto"},				/* QC */
	{"440", "US", "America/New_York"},				/* OH */
	{"441", "BM", "Atlantic/Bermuda"},				/* Bermuda */
	{"442", "US", "America/Los_Angeles"},			/* CA */
	{"443", "US", "America/New_York"},				/* MD */
	{"445", "US", "America/New_York"},				/* PA */
	{"447", "US", "America/Chicago"},				/* IL */
	/* overlay of 850: the same split */
	{"448", "US", "America/Chicago"},				/* FL */
	{"450", "CA", "America/Toronto"},				/* QC */
	/* overlay of 541: the same split */
	{"458", "US", "America/Los_Angeles"},			/* OR */
	{"463", "US", "America/Indiana/Indianapolis"},	/* IN */
	{"464", "US", "America/Chicago"},				/* IL */
	{"468", "CA", "America/Toronto"},				/* QC */
	{"469", "US", "America/Chicago"},				/* TX */
	{"470", "US", "America/New_York"},				/* GA */
	{"472", "US", "America/New_York"},				/* NC */
	{"473", "GD", "America/Grenada"},				/* Grenada */
	{"474", "CA", "America/Regina"},				/* SK */
	{"475", "US", "America/New_York"},				/* CT */
	{"478", "US", "America/New_York"},				/* GA */
	{"479", "US", "America/Chicago"},				/* AR */
	{"480", "US", "America/Phoenix"},				/* AZ */
	{"484", "US", "America/New_York"},				/* PA */
	{"501", "US", "America/Chicago"},				/* AR */
	/* Louisville and its neighbours */
	{"502", "US", "America/Kentucky/Louisville"},	/* KY */
	{"503", "US", "America/Los_Angeles"},			/* OR */
	{"504", "US", "America/Chicago"},				/* LA */
	{"505", "US", "America/Denver"},				/* NM */
	{"506", "CA", "America/Moncton"},				/* NB */
	{"507", "US", "America/Chicago"},				/* MN */
	{"508", "US", "America/New_York"},				/* MA */
	{"509", "US", "America/Los_Angeles"},			/* WA */
	{"510", "US", "America/Los_Angeles"},			/* CA */
	{"512", "US", "America/Chicago"},				/* TX */
	{"513", "US", "America/New_York"},				/* OH */
	{"514", "CA", "America/Toronto"},				/* QC */
	{"515", "US", "America/Chicago"},				/* IA */
	{"516", "US", "America/New_York"},				/* NY */
	{"517", "US", "America/Detroit"},				/* MI */
	{"518", "US", "America/New_York"},				/* NY */
	{"519", "CA", "America/Toronto"},				/* ON */
	{"520", "US", "America/Phoenix"},				/* AZ */
	{"530", "US", "America/Los_Angeles"},			/* CA */
	{"531", "US", "America/Chicago"},				/* NE */
	{"534", "US", "America/Chicago"},				/* WI */
	{"539", "US", "America/Chicago"},				/* OK */
	{"540", "US", "America/New_York"},				/* VA */
	/* Malheur County (Ontario) is Mountain */
	{"541", "US", "America/Los_Angeles"},			/* OR */
	{"548", "CA", "America/Toronto"},				/* ON */
	{"551", "US", "America/New_York"},				/* NJ */
	{"557", "US", "America/Chicago"},				/* MO */
	{"559", "US", "America/Los_Angeles"},			/* CA */
	{"561", "US", "America/New_York"},				/* FL */
	{"562", "US", "America/Los_Angeles"},			/* CA */
	{"563", "US", "America/Chicago"},				/* IA */
	{"564", "US", "America/Los_Angeles"},			/* WA */
	{"567", "US", "America/New_York"},				/* OH */
	{"570", "US", "America/New_York"},				/* PA */
	{"571", "US", "America/New_York"},				/* VA */
	{"572", "US", "America/Chicago"},				/* OK */
	{"573", "US", "America/Chicago"},				/* MO */
	/* Starke County is Central */
	{"574", "US", "America/Indiana/Indianapolis"},	/* IN */
	{"575", "US", "America/Denver"},				/* NM */
	{"579", "CA", "America/Toronto"},				/* QC */
	{"580", "US", "America/Chicago"},				/* OK */
	{"581", "CA", "America/Toronto"},				/* QC */
	{"582", "US", "America/New_York"},				/* PA */
	{"584", "CA", "America/Winnipeg"},				/* MB */
	{"585", "US", "America/New_York"},				/* NY */
	{"586", "US", "America/Detroit"},				/* MI */
	{"587", "CA", "America/Edmonton"},				/* AB */
	{"601", "US", "America/Chicago"},				/* MS */
	/* Arizona keeps MST all year */
	{"602", "US", "America/Phoenix"},				/* AZ */
	{"603", "US", "America/New_York"},				/* NH */
	{"604", "CA", "America/Vancouver"},				/* BC */
	/* South Dakota: West River (Rapid City) is Mountain */
	{"605", "US", "America/Chicago"},				/* SD */
	{"606", "US", "America/New_York"},				/* KY */
	{"607", "US", "America/New_York"},				/* NY */
	{"608", "US", "America/Chicago"},				/* WI */
	{"609", "US", "America/New_York"},				/* NJ */
	{"610", "US", "America/New_York"},				/* PA */
	{"612", "US", "America/Chicago"},				/* MN */
	{"613", "CA", "America/Toronto"},				/* ON */
	{"614", "US", "America/New_York"},				/* OH */
	{"615", "US", "America/Chicago"},				/* TN */
	{"616", "US", "America/Detroit"},				/* MI */
	{"617", "US", "America/New_York"},				/* MA */
	{"618", "US", "America/Chicago"},				/* IL */
	{"619", "US", "America/Los_Angeles"},			/* CA */
	/* Greeley and Hamilton counties are Mountain */
	{"620", "US", "America/Chicago"},				/* KS */
	{"623", "US", "America/Phoenix"},				/* AZ */
	{"626", "US", "America/Los_Angeles"},			/* CA */
	{"628", "US", "America/Los_Angeles"},			/* CA */
	{"629", "US", "America/Chicago"},				/* TN */
	{"630", "US", "America/Chicago"},				/* IL */
	{"631", "US", "America/New_York"},				/* NY */
	{"636", "US", "America/Chicago"},				/* MO */
	{"639", "CA", "America/Regina"},				/* SK */
	{"640", "US", "America/New_York"},				/* NJ */
	{"641", "US", "America/Chicago"},				/* IA */
	{"645", "US", "America/New_York"},				/* FL */
	{"646", "US", "America/New_York"},				/* NY */
	{"647", "CA", "America/Toronto"},				/* ON */
	{"649", "TC", "America/Grand_Turk"},			/* Turks and Caicos */
	{"650", "US", "America/Los_Angeles"},			/* CA */
	{"651", "US", "America/Chicago"},				/* MN */
	{"656", "US", "America/New_York"},				/* FL */
	{"657", "US", "America/Los_Angeles"},			/* CA */
	{"658", "JM", "America/Jamaica"},				/* Jamaica */
	{"659", "US", "America/Chicago"},				/* AL */
	{"660", "US", "America/Chicago"},				/* MO */
	{"661", "US", "America/Los_Angeles"},			/* CA */
	{"662", "US", "America/Chicago"},				/* MS */
	{"664", "MS", "America/Montserrat"},			/* Montserrat */
	{"667", "US", "America/New_York"},				/* MD */
	{"669", "US", "America/Los_Angeles"},			/* CA */
	{"670", "MP", "Pacific/Saipan"},				/* Northern Marianas */
	{"671", "GU", "Pacific/Guam"},					/* Guam */
	{"672", "CA", "America/Vancouver"},				/* BC */
	{"678", "US", "America/New_York"},				/* GA */
	{"680", "US", "America/New_York"},				/* NY */
	{"681", "US", "America/New_York"},				/* WV */
	{"682", "US", "America/Chicago"},				/* TX */
	{"683", "CA", "America/Toronto"},				/* ON */
	{"684", "AS", "Pacific/Pago_Pago"},				/* American Samoa */
	{"686", "US", "America/New_York"},				/* VA */
	{"689", "US", "America/New_York"},				/* FL */
	/* southwestern North Dakota (Dickinson) is Mountain */
	{"701", "US", "America/Chicago"},				/* ND */
	{"702", "US", "America/Los_Angeles"},			/* NV */
	{"703", "US", "America/New_York"},				/* VA */
	{"704", "US", "America/New_York"},				/* NC */
	{"705", "CA", "America/Toronto"},				/* ON */
	{"706", "US", "America/New_York"},				/* GA */
	{"707", "US", "America/Los_Angeles"},			/* CA */
	{"708", "US", "America/Chicago"},				/* IL */
	/* Labrador is mostly Atlantic */
	{"709", "CA", "America/St_Johns"},				/* NL */
	{"712", "US", "America/Chicago"},				/* IA */
	{"713", "US", "America/Chicago"},				/* TX */
	{"714", "US", "America/Los_Angeles"},			/* CA */
	{"715", "US", "America/Chicago"},				/* WI */
	{"716", "US", "America/New_York"},				/* NY */
	{"717", "US", "America/New_York"},				/* PA */
	{"718", "US", "America/New_York"},				/* NY */
	{"719", "US", "America/Denver"},				/* CO */
	{"720", "US", "America/Denver"},				/* CO */
	{"721", "SX", "America/Lower_Princes"},			/* Sint Maarten */
	{"724", "US", "America/New_York"},				/* PA */
	{"725", "US", "America/Los_Angeles"},			/* NV */
	{"726", "US", "America/Chicago"},				/* TX */
	{"727", "US", "America/New_York"},				/* FL */
	{"728", "US", "America/New_York"},				/* FL */
	{"730", "US", "America/Chicago"},				/* IL */
	{"731", "US", "America/Chicago"},				/* TN */
	{"732", "US", "America/New_York"},				/* NJ */
	{"734", "US", "America/Detroit"},				/* MI */
	{"737", "US", "America/Chicago"},				/* TX */
	{"738", "US", "America/Los_Angeles"},			/* CA */
	{"740", "US", "America/New_York"},				/* OH */
	{"742", "CA", "America/Toronto"},				/* ON */
	{"743", "US", "America/New_York"},				/* NC */
	{"747", "US", "America/Los_Angeles"},			/* CA */
	{"748", "US", "America/Denver"},				/* CO */
	{"753", "CA", "America/Toronto"},				/* ON */
	{"754", "US", "America/New_York"},				/* FL */
	{"757", "US", "America/New_York"},				/* VA */
	{"758", "LC", "America/St_Lucia"},				/* Saint Lucia */
	{"760", "US", "America/Los_Angeles"},			/* CA */
	{"762", "US", "America/New_York"},				/* GA */
	{"763", "US", "America/Chicago"},				/* MN */
	{"765", "US", "America/Indiana/Indianapolis"},	/* IN */
	{"767", "DM", "America/Dominica"},				/* Dominica */
	{"769", "US", "America/Chicago"},				/* MS */
	{"770", "US", "America/New_York"},				/* GA */
	{"771", "US", "America/New_York"},				/* DC */
	{"772", "US", "America/New_York"},				/* FL */
	{"773", "US", "America/Chicago"},				/* IL */
	{"774", "US", "America/New_York"},				/* MA */
	/* West Wendover and Jackpot keep Mountain time */
	{"775", "US", "America/Los_Angeles"},			/* NV */
	{"778", "CA", "America/Vancouver"},				/* BC */
	{"779", "US", "America/Chicago"},				/* IL */
	{"780", "CA", "America/Edmonton"},				/* AB */
	{"781", "US", "America/New_York"},				/* MA */
	{"782", "CA", "America/Halifax"},				/* NS, PE */
	{"784", "VC", "America/St_Vincent"},			/* Saint Vincent */
	/* Sherman and Wallace counties are Mountain */
	{"785", "US", "America/Chicago"},				/* KS */
	{"786", "US", "America/New_York"},				/* FL */
	{"787", "PR", "America/Puerto_Rico"},			/* Puerto Rico */
	{"801", "US", "America/Denver"},				/* UT */
	{"802", "US", "America/New_York"},				/* VT */
	{"803", "US", "America/New_York"},				/* SC */
	{"804", "US", "America/New_York"},				/* VA */
	{"805", "US", "America/Los_Angeles"},			/* CA */
	{"806", "US", "America/Chicago"},				/* TX */
	/* Thunder Bay is Eastern; Kenora and Rainy River Central */
	{"807", "CA", "America/Toronto"},				/* ON */
	{"808", "US", "Pacific/Honolulu"},				/* HI */
	{"809", "DO", "America/Santo_Domingo"},			/* Dominican Republic */
	{"810", "US", "America/Detroit"},				/* MI */
	/* the Evansville area is Central */
	{"812", "US", "America/Indiana/Indianapolis"},	/* IN */
	{"813", "US", "America/New_York"},				/* FL */
	{"814", "US", "America/New_York"},				/* PA */
	{"815", "US", "America/Chicago"},				/* IL */
	{"816", "US", "America/Chicago"},				/* MO */
	{"817", "US", "America/Chicago"},				/* TX */
	{"818", "US", "America/Los_Angeles"},			/* CA */
	{"819", "CA", "America/Toronto"},				/* QC */
	{"820", "US", "America/Los_Angeles"},			/* CA */
	{"821", "US", "America/New_York"},				/* SC */
	{"825", "CA", "America/Edmonton"},				/* AB */
	{"826", "US", "America/New_York"},				/* VA */
	{"828", "US", "America/New_York"},				/* NC */
	{"829", "DO", "America/Santo_Domingo"},			/* Dominican Republic */
	{"830", "US", "America/Chicago"},				/* TX */
	{"831", "US", "America/Los_Angeles"},			/* CA */
	{"832", "US", "America/Chicago"},				/* TX */
	{"835", "US", "America/New_York"},				/* PA */
	{"838", "US", "America/New_York"},				/* NY */
	{"839", "US", "America/New_York"},				/* SC */
	{"840", "US", "America/Los_Angeles"},			/* CA */
	{"843", "US", "America/New_York"},				/* SC */
	{"845", "US", "America/New_York"},				/* NY */
	{"847", "US", "America/Chicago"},				/* IL */
	{"848", "US", "America/New_York"},				/* NJ */
	{"849", "DO", "America/Santo_Domingo"},			/* Dominican Republic */
	/*
	 * the Florida panhandle: Pensacola, Fort Walton Beach and Panama City
	 * are Central, Tallahassee Eastern
	 */
	{"850", "US", "America/Chicago"},				/* FL */
	{"854", "US", "America/New_York"},				/* SC */
	{"856", "US", "America/New_York"},				/* NJ */
	{"857", "US", "America/New_York"},				/* MA */
	{"858", "US", "America/Los_Angeles"},			/* CA */
	{"859", "US", "America/New_York"},				/* KY */
	{"860", "US", "America/New_York"},				/* CT */
	{"862", "US", "America/New_York"},				/* NJ */
	{"863", "US", "America/New_York"},				/* FL */
	{"864", "US", "America/New_York"},				/* SC */
	{"865", "US", "America/New_York"},				/* TN */
	/*
	 * Yukon, Northwest Territories and Nunavut: Yukon (UTC-7 all year) is
	 * the most populous and the westernmost, so a quiet-hours window never
	 * opens early there; in Yellowknife (Mountain) and Nunavut (Eastern to
	 * Mountain) it closes late
	 */
	{"867", "CA", "America/Whitehorse"},			/* YT, NT, NU */
	{"868", "TT", "America/Port_of_Spain"},			/* Trinidad and Tobago */
	{"869", "KN", "America/St_Kitts"},				/* Saint Kitts and Nevis */
	{"870", "US", "America/Chicago"},				/* AR */
	{"872", "US", "America/Chicago"},				/* IL */
	{"873", "CA", "America/Toronto"},				/* QC */
	{"876", "JM", "America/Jamaica"},				/* Jamaica */
	{"878", "US", "America/New_York"},				/* PA */
	/* overlay of 709: the same split */
	{"879", "CA", "America/St_Johns"},				/* NL */
	{"901", "US", "America/Chicago"},				/* TN */
	{"902", "CA", "America/Halifax"},				/* NS, PE */
	{"903", "US", "America/Chicago"},				/* TX */
	{"904", "US", "America/New_York"},				/* FL */
	{"905", "CA", "America/Toronto"},				/* ON */
	/*
	 * the Upper Peninsula: the four counties on the Wisconsin border are
	 * Central
	 */
	{"906", "US", "America/Detroit"},				/* MI */
	/* the western Aleutians (Adak) are on Hawaii-Aleutian time */
	{"907", "US", "America/Anchorage"},				/* AK */
	{"908", "US", "America/New_York"},				/* NJ */
	{"909", "US", "America/Los_Angeles"},			/* CA */
	{"910", "US", "America/New_York"},				/* NC */
	{"912", "US", "America/New_York"},				/* GA */
	{"913", "US", "America/Chicago"},				/* KS */
	{"914", "US", "America/New_York"},				/* NY */
	/* El Paso and its neighbours are Mountain */
	{"915", "US", "America/Denver"},				/* TX */
	{"916", "US", "America/Los_Angeles"},			/* CA */
	{"917", "US", "America/New_York"},				/* NY */
	{"918", "US", "America/Chicago"},				/* OK */
	{"919", "US", "America/New_York"},				/* NC */
	{"920", "US", "America/Chicago"},				/* WI */
	{"925", "US", "America/Los_Angeles"},			/* CA */
	/* the Navajo Nation keeps DST (Mountain) */
	{"928", "US", "America/Phoenix"},				/* AZ */
	{"929", "US", "America/New_York"},				/* NY */
	/* overlay of 812: the same split */
	{"930", "US", "America/Indiana/Indianapolis"},	/* IN */
	{"931", "US", "America/Chicago"},				/* TN */
	{"934", "US", "America/New_York"},				/* NY */
	{"936", "US", "America/Chicago"},				/* TX */
	{"937", "US", "America/New_York"},				/* OH */
	{"938", "US", "America/Chicago"},				/* AL */
	{"939", "PR", "America/Puerto_Rico"},			/* Puerto Rico */
	{"940", "US", "America/Chicago"},				/* TX */
	{"941", "US", "America/New_York"},				/* FL */
	{"942", "CA", "America/Toronto"},				/* ON */
	{"943", "US", "America/New_York"},				/* GA */
	{"945", "US", "America/Chicago"},				/* TX */
	{"947", "US", "America/Detroit"},				/* MI */
	{"948", "US", "America/New_York"},				/* VA */
	{"949", "US", "America/Los_Angeles"},			/* CA */
	{"951", "US", "America/Los_Angeles"},			/* CA */
	{"952", "US", "America/Chicago"},				/* MN */
	{"954", "US", "America/New_York"},				/* FL */
	{"956", "US", "America/Chicago"},				/* TX */
	{"959", "US", "America/New_York"},				/* CT */
	{"970", "US", "America/Denver"},				/* CO */
	{"971", "US", "America/Los_Angeles"},			/* OR */
	{"972", "US", "America/Chicago"},				/* TX */
	{"973", "US", "America/New_York"},				/* NJ */
	{"975", "US", "America/Chicago"},				/* MO */
	{"978", "US", "America/New_York"},				/* MA */
	{"979", "US", "America/Chicago"},				/* TX */
	{"980", "US", "America/New_York"},				/* NC */
	{"983", "US", "America/Denver"},				/* CO */
	{"984", "US", "America/New_York"},				/* NC */
	{"985", "US", "America/Chicago"},				/* LA */
	/* overlay of 208: the same split */
	{"986", "US", "America/Boise"},					/* ID */
	{"989", "US", "America/Detroit"},				/* MI */
};

#define NUM_NANP_AREA_CODES lengthof(nanp_area_codes)
#define NPA_LEN 3

static int
compare_npa(const void *a, const void *b)
{
	const char *key = (const char *) a;
	const NanpAreaCode *entry = (const NanpAreaCode *) b;

	return strncmp(key, entry->npa, NPA_LEN);
}

/*
 * The entry of the area code in the first 3 characters of npa3 (the digits
 * after a +1), or NULL when they are not a listed area code.
 */
const NanpAreaCode *
smscamp_lookup_nanp(const char *npa3)
{
	int			i;

	for (i = 0; i < NPA_LEN; i++)
		if (npa3[i] < '0' || npa3[i] > '9')
			return NULL;		/* also stops at a string's end */
	return bsearch(npa3, nanp_area_codes, NUM_NANP_AREA_CODES,
				   sizeof(NanpAreaCode), compare_npa);
}
