"""Places known by class: the world's countries and the US states, as news stories name them.

A question that asks "which country" or "which state" wants a member of that class, and a run of
capitalised words in a story ("Biden", "Ohio", "Kremlin") does not say which it is. This list tells
the short-answer scorer whether a candidate is a country or a US state.
General knowledge, written by hand; no evaluation data is in it.
"""

from __future__ import annotations

import re

__all__ = ["COUNTRIES", "US_STATES", "classes_of"]

_COUNTRY_NAMES = """
Afghanistan, Albania, Algeria, Andorra, Angola, Antigua and Barbuda, Argentina, Armenia, Australia, Austria,
Azerbaijan, Bahamas, Bahrain, Bangladesh, Barbados, Belarus, Belgium, Belize, Benin, Bhutan, Bolivia,
Bosnia and Herzegovina, Bosnia, Botswana, Brazil, Brunei, Bulgaria, Burkina Faso, Burundi, Cabo Verde,
Cape Verde, Cambodia, Cameroon, Canada, Central African Republic, Chad, Chile, China, Colombia, Comoros,
Congo, Republic of Congo, Democratic Republic of Congo, Democratic Republic of the Congo, DRC, DR Congo,
Costa Rica, Ivory Coast, Côte d'Ivoire, Croatia, Cuba, Cyprus, Czech Republic, Czechia, Denmark, Djibouti,
Dominica, Dominican Republic, Ecuador, Egypt, El Salvador, Equatorial Guinea, Eritrea, Estonia, Eswatini,
Swaziland, Ethiopia, Fiji, Finland, France, Gabon, Gambia, Georgia, Germany, Ghana, Greece, Grenada,
Guatemala, Guinea, Guinea-Bissau, Guyana, Haiti, Honduras, Hungary, Iceland, India, Indonesia, Iran, Iraq,
Ireland, Israel, Italy, Jamaica, Japan, Jordan, Kazakhstan, Kenya, Kiribati, Kosovo, Kuwait, Kyrgyzstan,
Laos, Latvia, Lebanon, Lesotho, Liberia, Libya, Liechtenstein, Lithuania, Luxembourg, Madagascar, Malawi,
Malaysia, Maldives, Mali, Malta, Marshall Islands, Mauritania, Mauritius, Mexico, Micronesia, Moldova,
Monaco, Mongolia, Montenegro, Morocco, Mozambique, Myanmar, Burma, Namibia, Nauru, Nepal, Netherlands,
Holland, New Zealand, Nicaragua, Niger, Nigeria, North Korea, North Macedonia, Macedonia, Norway, Oman,
Pakistan, Palau, Palestine, Panama, Papua New Guinea, Paraguay, Peru, Philippines, Poland, Portugal, Qatar,
Romania, Russia, Russian Federation, Rwanda, Saint Kitts and Nevis, Saint Lucia,
Saint Vincent and the Grenadines, Samoa, San Marino, Sao Tome and Principe, Saudi Arabia, Senegal, Serbia,
Seychelles, Sierra Leone, Singapore, Slovakia, Slovenia, Solomon Islands, Somalia, South Africa,
South Korea, Korea, South Sudan, Spain, Sri Lanka, Sudan, Suriname, Sweden, Switzerland, Syria, Taiwan,
Tajikistan, Tanzania, Thailand, Timor-Leste, East Timor, Togo, Tonga, Trinidad and Tobago, Tunisia, Turkey,
Türkiye, Turkmenistan, Tuvalu, Uganda, Ukraine, United Arab Emirates, UAE, United Kingdom, UK, U.K.,
Britain, Great Britain, England, Scotland, Wales, Northern Ireland, United States, United States of America,
US, U.S., USA, U.S.A., America, Uruguay, Uzbekistan, Vanuatu, Vatican, Vatican City, Holy See, Venezuela,
Vietnam, Viet Nam, Yemen, Zambia, Zimbabwe, Greenland
"""

_US_STATE_NAMES = """
Alabama, Alaska, Arizona, Arkansas, California, Colorado, Connecticut, Delaware, Florida, Georgia, Hawaii,
Idaho, Illinois, Indiana, Iowa, Kansas, Kentucky, Louisiana, Maine, Maryland, Massachusetts, Michigan,
Minnesota, Mississippi, Missouri, Montana, Nebraska, Nevada, New Hampshire, New Jersey, New Mexico,
New York, North Carolina, North Dakota, Ohio, Oklahoma, Oregon, Pennsylvania, Rhode Island,
South Carolina, South Dakota, Tennessee, Texas, Utah, Vermont, Virginia, Washington, West Virginia,
Wisconsin, Wyoming
"""


def _normal(text: str) -> str:
    """Lower case, without punctuation or a leading "the": "the U.S." and "US" are one name."""
    return re.sub(r"^the ", "", " ".join(re.sub(r"[^\w]+", " ", text.lower().replace(".", "")).split()))


def _names(names: str) -> frozenset[str]:
    return frozenset(_normal(n) for n in names.replace("\n", " ").split(",") if n.strip())


COUNTRIES = _names(_COUNTRY_NAMES)
US_STATES = _names(_US_STATE_NAMES)
_CLASSES = {"country": COUNTRIES, "us_state": US_STATES}


def classes_of(text: str) -> set[str]:
    """The classes ("country", "us_state") a name belongs to (Georgia is both; "Chicago" none)."""
    name = _normal(text)
    return {cls for cls, names in _CLASSES.items() if name in names}
