"""A made-up citizen's ID card, for trying the identify step with the simulated scanner
(`kiosk simulate`: type scan-id), for the screenshots and for the benchmarks. It lives with
the simulators: nothing in the kiosk itself knows a citizen.

The ID number is spelt out by its parts (Circular 07/2016 Appendix 1): province 000, which
does not exist, so the number can be nobody's; 1 = woman born in the 1900s; birth year 90;
a serial.
"""

SAMPLE_ID_NUMBER = "000" "1" "90" "001234"
# The QR on the front of a chip CCCD: ID | old CMND | name | birth | sex | address | issued.
SAMPLE_CCCD = (f"{SAMPLE_ID_NUMBER}||K'Sơr Ha Ƀiă|02031990|Nữ|Thôn Đạ Nghịt, xã Lạc Dương, "
               "Lâm Đồng|15082021")
