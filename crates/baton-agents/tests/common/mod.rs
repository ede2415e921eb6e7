//! A small, realistic help centre shared by the retrieval and built-in agent tests.
#![allow(dead_code, missing_docs)]

use baton_agents::Article;

pub fn help_center() -> Vec<Article> {
    vec![
        Article::new(
            "refunds",
            "Refund policy",
            "We refund any order within 30 days of delivery. Refunds go back to the original payment method \
             and usually arrive within 5 to 10 business days. To request a refund, open Orders, choose the order \
             and click Request refund. Items marked as final sale cannot be refunded.",
        ),
        Article::new(
            "returns",
            "Returning or exchanging an item",
            "You can return or exchange unused items within 30 days. Print the prepaid return label from the \
             Orders page and drop the parcel at any post office. Exchanges ship as soon as we receive the \
             original item.",
        ),
        Article::new(
            "shipping",
            "Shipping times and costs",
            "Standard shipping takes 3 to 5 business days within the EU and 7 to 12 days to the US and Canada. \
             Express shipping takes 1 to 2 days. Shipping is free on orders over 50 euros; below that it costs \
             4.90 euros.",
        ),
        Article::new(
            "tracking",
            "Tracking your order",
            "As soon as your order leaves our warehouse we email you a tracking link. You can also find the \
             tracking number on the Orders page. Tracking can take up to 24 hours to show the first scan.",
        ),
        Article::new(
            "password",
            "Resetting your password",
            "Forgot your password? On the sign-in page click Forgot password and enter your email address. \
             We send you a link to choose a new password; it expires after one hour. If the email does not \
             arrive, check your spam folder.",
        ),
        Article::new(
            "invoices",
            "Downloading invoices",
            "Every payment creates an invoice. Go to Settings, then Billing, and click Download next to the \
             invoice you need. Invoices are PDF files and include your VAT number if you added one.",
        ),
        Article::new(
            "plans",
            "Changing your subscription plan",
            "You can upgrade or downgrade your plan at any time under Settings, Billing, Plan. Upgrades take \
             effect immediately and are prorated. Downgrades take effect at the end of the billing period.",
        ),
        Article::new(
            "cancel",
            "Cancelling your account",
            "To cancel your account, go to Settings, Account and click Cancel account. Your data is kept for \
             30 days in case you change your mind, then deleted for good.",
        ),
        Article::new(
            "2fa",
            "Two-factor authentication",
            "Turn on two-factor authentication under Settings, Security. Scan the QR code with an \
             authenticator app and enter the six-digit code. Keep your recovery codes somewhere safe.",
        ),
        Article::new(
            "rueckerstattung",
            "Rückerstattung beantragen",
            "Eine Rückerstattung beantragen Sie unter Bestellungen. Wählen Sie die Bestellung und klicken Sie \
             auf Rückerstattung anfordern. Das Geld ist nach fünf bis zehn Werktagen auf Ihrem Konto.",
        ),
        Article::new(
            "devoluciones",
            "Política de devoluciones",
            "Aceptamos devoluciones durante 30 días. La devolución del dinero se hace con el mismo método de \
             pago.",
        ),
    ]
}
