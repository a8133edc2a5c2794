/* Enum names of the domain model, as the API spells them. */
#include "model.h"

#include <string.h>

static const char *const tax_names[] = {"TAXED", "TAX_EXEMPT", "REVERSE_CHARGED"};
static const char *const status_names[] = {"ACTIVE", "DRAFT"};
static const char *const pref_names[] = {"PRIMARY", "STANDARD", "NONE"};
static const char *const services[] = {
    "Amazon_Redshift",   "GoCardless", "Google_BigQuery", "Google_Sheets", "HubSpot", "NetSuite",
    "QuickBooks_Online", "Salesforce", "Slack",           "Snowflake",     "Stripe",  "Xero",
    "Avalara",           "Anrok",      "Attio",           "Numeral",       "Rillet",  "Sphere"};

#define COUNT(a) (sizeof(a) / sizeof(*(a)))

static int find(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

const char *tax_status_name(enum tax_status t)
{
    return tax_names[t];
}

const char *customer_status_name(enum customer_status s)
{
    return status_names[s];
}

const char *billing_pref_name(enum billing_pref p)
{
    return pref_names[p];
}

bool tax_status_parse(const char *s, enum tax_status *out)
{
    int i = find(tax_names, COUNT(tax_names), s);
    if (i < 0)
        return false;
    *out = (enum tax_status)i;
    return true;
}

bool customer_status_parse(const char *s, enum customer_status *out)
{
    int i = find(status_names, COUNT(status_names), s);
    if (i < 0)
        return false;
    *out = (enum customer_status)i;
    return true;
}

bool billing_pref_parse(const char *s, enum billing_pref *out)
{
    int i = find(pref_names, COUNT(pref_names), s);
    if (i < 0)
        return false;
    *out = (enum billing_pref)i;
    return true;
}

bool integration_service_valid(const char *s)
{
    return find(services, COUNT(services), s) >= 0;
}
