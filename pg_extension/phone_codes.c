/*-------------------------------------------------------------------------
 *
 * phone_codes.c
 *	  ITU-T E.164 country calling codes with the ISO 3166-1 country and the
 *	  country's main IANA time zone (used for quiet hours).
 *
 * Calling codes are prefix-free, 1 to 3 digits.  A few longer entries refine
 * a shared code (+7 6/+7 7 are Kazakhstan); their cc_len is that of the
 * shared code.  Non-geographic codes (+800, +870, +881...) are not listed:
 * an SMS campaign cannot target them.  Where a code is shared by several
 * territories (+1, +44, +47, +262...), the entry names the main country;
 * +1 numbers are told apart by area code (nanp_codes.c), the +1 entry is
 * only for area codes not listed there.
 *
 * min_nsn/max_nsn bound the national significant number for plans with a
 * fixed length; 0 means the generic rule (8 to 15 digits in all).
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"

#include <stdlib.h>
#include <string.h>

/* Sorted by prefix as strings (strcmp order): lookup is a binary search. */
static const CallingCode calling_codes[] = {
	{"1", 1, "US", "America/New_York", 10, 10},	/* unlisted area codes */
	{"20", 2, "EG", "Africa/Cairo"},
	{"211", 3, "SS", "Africa/Juba"},
	{"212", 3, "MA", "Africa/Casablanca"},
	{"213", 3, "DZ", "Africa/Algiers"},
	{"216", 3, "TN", "Africa/Tunis"},
	{"218", 3, "LY", "Africa/Tripoli"},
	{"220", 3, "GM", "Africa/Banjul"},
	{"221", 3, "SN", "Africa/Dakar"},
	{"222", 3, "MR", "Africa/Nouakchott"},
	{"223", 3, "ML", "Africa/Bamako"},
	{"224", 3, "GN", "Africa/Conakry"},
	{"225", 3, "CI", "Africa/Abidjan"},
	{"226", 3, "BF", "Africa/Ouagadougou"},
	{"227", 3, "NE", "Africa/Niamey"},
	{"228", 3, "TG", "Africa/Lome"},
	{"229", 3, "BJ", "Africa/Porto-Novo"},
	{"230", 3, "MU", "Indian/Mauritius"},
	{"231", 3, "LR", "Africa/Monrovia"},
	{"232", 3, "SL", "Africa/Freetown"},
	{"233", 3, "GH", "Africa/Accra"},
	{"234", 3, "NG", "Africa/Lagos"},
	{"235", 3, "TD", "Africa/Ndjamena"},
	{"236", 3, "CF", "Africa/Bangui"},
	{"237", 3, "CM", "Africa/Douala"},
	{"238", 3, "CV", "Atlantic/Cape_Verde"},
	{"239", 3, "ST", "Africa/Sao_Tome"},
	{"240", 3, "GQ", "Africa/Malabo"},
	{"241", 3, "GA", "Africa/Libreville"},
	{"242", 3, "CG", "Africa/Brazzaville"},
	{"243", 3, "CD", "Africa/Kinshasa"},
	{"244", 3, "AO", "Africa/Luanda"},
	{"245", 3, "GW", "Africa/Bissau"},
	{"246", 3, "IO", "Indian/Chagos"},
	{"247", 3, "SH", "Atlantic/St_Helena"},	/* Ascension */
	{"248", 3, "SC", "Indian/Mahe"},
	{"249", 3, "SD", "Africa/Khartoum"},
	{"250", 3, "RW", "Africa/Kigali"},
	{"251", 3, "ET", "Africa/Addis_Ababa"},
	{"252", 3, "SO", "Africa/Mogadishu"},
	{"253", 3, "DJ", "Africa/Djibouti"},
	{"254", 3, "KE", "Africa/Nairobi"},
	{"255", 3, "TZ", "Africa/Dar_es_Salaam"},
	{"256", 3, "UG", "Africa/Kampala"},
	{"257", 3, "BI", "Africa/Bujumbura"},
	{"258", 3, "MZ", "Africa/Maputo"},
	{"260", 3, "ZM", "Africa/Lusaka"},
	{"261", 3, "MG", "Indian/Antananarivo"},
	{"262", 3, "RE", "Indian/Reunion"},
	{"263", 3, "ZW", "Africa/Harare"},
	{"264", 3, "NA", "Africa/Windhoek"},
	{"265", 3, "MW", "Africa/Blantyre"},
	{"266", 3, "LS", "Africa/Maseru"},
	{"267", 3, "BW", "Africa/Gaborone"},
	{"268", 3, "SZ", "Africa/Mbabane"},
	{"269", 3, "KM", "Indian/Comoro"},
	{"27", 2, "ZA", "Africa/Johannesburg"},
	{"290", 3, "SH", "Atlantic/St_Helena"},
	{"291", 3, "ER", "Africa/Asmara"},
	{"297", 3, "AW", "America/Aruba"},
	{"298", 3, "FO", "Atlantic/Faroe"},
	{"299", 3, "GL", "America/Nuuk"},
	{"30", 2, "GR", "Europe/Athens"},
	{"31", 2, "NL", "Europe/Amsterdam"},
	{"32", 2, "BE", "Europe/Brussels"},
	{"33", 2, "FR", "Europe/Paris", 9, 9},
	{"34", 2, "ES", "Europe/Madrid", 9, 9},
	{"350", 3, "GI", "Europe/Gibraltar"},
	{"351", 3, "PT", "Europe/Lisbon"},
	{"352", 3, "LU", "Europe/Luxembourg"},
	{"353", 3, "IE", "Europe/Dublin"},
	{"354", 3, "IS", "Atlantic/Reykjavik"},
	{"355", 3, "AL", "Europe/Tirane"},
	{"356", 3, "MT", "Europe/Malta"},
	{"357", 3, "CY", "Asia/Nicosia"},
	{"358", 3, "FI", "Europe/Helsinki"},
	{"359", 3, "BG", "Europe/Sofia"},
	{"36", 2, "HU", "Europe/Budapest"},
	{"370", 3, "LT", "Europe/Vilnius"},
	{"371", 3, "LV", "Europe/Riga"},
	{"372", 3, "EE", "Europe/Tallinn"},
	{"373", 3, "MD", "Europe/Chisinau"},
	{"374", 3, "AM", "Asia/Yerevan"},
	{"375", 3, "BY", "Europe/Minsk"},
	{"376", 3, "AD", "Europe/Andorra"},
	{"377", 3, "MC", "Europe/Monaco"},
	{"378", 3, "SM", "Europe/San_Marino"},
	{"380", 3, "UA", "Europe/Kyiv"},
	{"381", 3, "RS", "Europe/Belgrade"},
	{"382", 3, "ME", "Europe/Podgorica"},
	{"383", 3, "XK", "Europe/Belgrade"},
	{"385", 3, "HR", "Europe/Zagreb"},
	{"386", 3, "SI", "Europe/Ljubljana"},
	{"387", 3, "BA", "Europe/Sarajevo"},
	{"389", 3, "MK", "Europe/Skopje"},
	{"39", 2, "IT", "Europe/Rome"},
	{"40", 2, "RO", "Europe/Bucharest"},
	{"41", 2, "CH", "Europe/Zurich"},
	{"420", 3, "CZ", "Europe/Prague"},
	{"421", 3, "SK", "Europe/Bratislava"},
	{"423", 3, "LI", "Europe/Vaduz"},
	{"43", 2, "AT", "Europe/Vienna"},
	{"44", 2, "GB", "Europe/London"},
	{"45", 2, "DK", "Europe/Copenhagen"},
	{"46", 2, "SE", "Europe/Stockholm"},
	{"47", 2, "NO", "Europe/Oslo"},
	{"48", 2, "PL", "Europe/Warsaw"},
	{"49", 2, "DE", "Europe/Berlin"},
	{"500", 3, "FK", "Atlantic/Stanley"},
	{"501", 3, "BZ", "America/Belize"},
	{"502", 3, "GT", "America/Guatemala"},
	{"503", 3, "SV", "America/El_Salvador"},
	{"504", 3, "HN", "America/Tegucigalpa"},
	{"505", 3, "NI", "America/Managua"},
	{"506", 3, "CR", "America/Costa_Rica"},
	{"507", 3, "PA", "America/Panama"},
	{"508", 3, "PM", "America/Miquelon"},
	{"509", 3, "HT", "America/Port-au-Prince"},
	{"51", 2, "PE", "America/Lima"},
	{"52", 2, "MX", "America/Mexico_City"},
	{"53", 2, "CU", "America/Havana"},
	{"54", 2, "AR", "America/Argentina/Buenos_Aires"},
	{"55", 2, "BR", "America/Sao_Paulo"},
	{"56", 2, "CL", "America/Santiago"},
	{"57", 2, "CO", "America/Bogota"},
	{"58", 2, "VE", "America/Caracas"},
	{"590", 3, "GP", "America/Guadeloupe"},
	{"591", 3, "BO", "America/La_Paz"},
	{"592", 3, "GY", "America/Guyana"},
	{"593", 3, "EC", "America/Guayaquil"},
	{"594", 3, "GF", "America/Cayenne"},
	{"595", 3, "PY", "America/Asuncion"},
	{"596", 3, "MQ", "America/Martinique"},
	{"597", 3, "SR", "America/Paramaribo"},
	{"598", 3, "UY", "America/Montevideo"},
	{"599", 3, "CW", "America/Curacao"},
	{"60", 2, "MY", "Asia/Kuala_Lumpur"},
	{"61", 2, "AU", "Australia/Sydney"},
	{"62", 2, "ID", "Asia/Jakarta"},
	{"63", 2, "PH", "Asia/Manila"},
	{"64", 2, "NZ", "Pacific/Auckland"},
	{"65", 2, "SG", "Asia/Singapore"},
	{"66", 2, "TH", "Asia/Bangkok"},
	{"670", 3, "TL", "Asia/Dili"},
	{"672", 3, "NF", "Pacific/Norfolk"},
	{"673", 3, "BN", "Asia/Brunei"},
	{"674", 3, "NR", "Pacific/Nauru"},
	{"675", 3, "PG", "Pacific/Port_Moresby"},
	{"676", 3, "TO", "Pacific/Tongatapu"},
	{"677", 3, "SB", "Pacific/Guadalcanal"},
	{"678", 3, "VU", "Pacific/Efate"},
	{"679", 3, "FJ", "Pacific/Fiji"},
	{"680", 3, "PW", "Pacific/Palau"},
	{"681", 3, "WF", "Pacific/Wallis"},
	{"682", 3, "CK", "Pacific/Rarotonga"},
	{"683", 3, "NU", "Pacific/Niue", 4, 7},
	{"685", 3, "WS", "Pacific/Apia"},
	{"686", 3, "KI", "Pacific/Tarawa"},
	{"687", 3, "NC", "Pacific/Noumea"},
	{"688", 3, "TV", "Pacific/Funafuti"},
	{"689", 3, "PF", "Pacific/Tahiti"},
	{"690", 3, "TK", "Pacific/Fakaofo", 4, 7},
	{"691", 3, "FM", "Pacific/Pohnpei"},
	{"692", 3, "MH", "Pacific/Majuro"},
	{"7", 1, "RU", "Europe/Moscow", 10, 10},
	{"76", 1, "KZ", "Asia/Almaty", 10, 10},
	{"77", 1, "KZ", "Asia/Almaty", 10, 10},
	{"81", 2, "JP", "Asia/Tokyo"},
	{"82", 2, "KR", "Asia/Seoul"},
	{"84", 2, "VN", "Asia/Ho_Chi_Minh"},
	{"850", 3, "KP", "Asia/Pyongyang"},
	{"852", 3, "HK", "Asia/Hong_Kong"},
	{"853", 3, "MO", "Asia/Macau"},
	{"855", 3, "KH", "Asia/Phnom_Penh"},
	{"856", 3, "LA", "Asia/Vientiane"},
	{"86", 2, "CN", "Asia/Shanghai"},
	{"880", 3, "BD", "Asia/Dhaka"},
	{"886", 3, "TW", "Asia/Taipei"},
	{"90", 2, "TR", "Europe/Istanbul"},
	{"91", 2, "IN", "Asia/Kolkata", 10, 10},
	{"92", 2, "PK", "Asia/Karachi"},
	{"93", 2, "AF", "Asia/Kabul"},
	{"94", 2, "LK", "Asia/Colombo"},
	{"95", 2, "MM", "Asia/Yangon"},
	{"960", 3, "MV", "Indian/Maldives"},
	{"961", 3, "LB", "Asia/Beirut"},
	{"962", 3, "JO", "Asia/Amman"},
	{"963", 3, "SY", "Asia/Damascus"},
	{"964", 3, "IQ", "Asia/Baghdad"},
	{"965", 3, "KW", "Asia/Kuwait"},
	{"966", 3, "SA", "Asia/Riyadh"},
	{"967", 3, "YE", "Asia/Aden"},
	{"968", 3, "OM", "Asia/Muscat"},
	{"970", 3, "PS", "Asia/Hebron"},
	{"971", 3, "AE", "Asia/Dubai"},
	{"972", 3, "IL", "Asia/Jerusalem"},
	{"973", 3, "BH", "Asia/Bahrain"},
	{"974", 3, "QA", "Asia/Qatar"},
	{"975", 3, "BT", "Asia/Thimphu"},
	{"976", 3, "MN", "Asia/Ulaanbaatar"},
	{"977", 3, "NP", "Asia/Kathmandu"},
	{"98", 2, "IR", "Asia/Tehran"},
	{"992", 3, "TJ", "Asia/Dushanbe"},
	{"993", 3, "TM", "Asia/Ashgabat"},
	{"994", 3, "AZ", "Asia/Baku"},
	{"995", 3, "GE", "Asia/Tbilisi"},
	{"996", 3, "KG", "Asia/Bishkek"},
	{"998", 3, "UZ", "Asia/Tashkent"},
};

#define NUM_CALLING_CODES lengthof(calling_codes)
#define MAX_PREFIX_LEN 3

typedef struct PrefixKey
{
	const char *digits;
	size_t		len;
} PrefixKey;

static int
compare_prefix(const void *a, const void *b)
{
	const PrefixKey *key = (const PrefixKey *) a;
	const CallingCode *entry = (const CallingCode *) b;
	size_t		entry_len = strlen(entry->prefix);
	int			cmp;

	cmp = strncmp(key->digits, entry->prefix, Min(key->len, entry_len));
	if (cmp != 0)
		return cmp;
	return (key->len > entry_len) - (key->len < entry_len);
}

/*
 * Find the entry whose prefix is the longest prefix of the given digits,
 * or NULL when they start with no known calling code.
 */
const CallingCode *
smscamp_lookup_calling_code(const char *digits, int ndigits)
{
	int			len;

	for (len = Min(ndigits, MAX_PREFIX_LEN); len > 0; len--)
	{
		PrefixKey	key = {digits, (size_t) len};
		const CallingCode *entry;

		entry = bsearch(&key, calling_codes, NUM_CALLING_CODES,
						sizeof(CallingCode), compare_prefix);
		if (entry != NULL)
			return entry;
	}
	return NULL;
}
