export V0000='hello'
export V0001='a-b_c.d/e:f@g%h+i,j=k'
export V0002=''
export V0003='hello world'
export V0004='  padded  '
export V0005='   '
export V0006='abc#def'
export V0007='abc #def'
export V0008='#abc'
export V0009='a=b=c'
export V0010='=x'
export V0011='it'\''s'
export V0012='say "hi"'
export V0013='it'\''s "quoted"'
export V0014=''\''quoted'\'''
export V0015='"quoted"'
export V0016='$HOME/bin'
export V0017='${HOME}/bin'
export V0018='${HOME'
export V0019='${A:-b}'
export V0020='$(whoami)'
export V0021='cost: 5$'
export V0022='it'\''s $5'
export V0023='it'\''s ${HOME}'
export V0024='${X}"y"'
export V0025='C:\Users\me'
export V0026='line1\nline2'
export V0027='a\\b'
export V0028='abc\'
export V0029='line1
line2'
export V0030='abc
'
export V0031='
'
export V0032='a
 #b
C=d'
export V0033='{
  "a": 1
}'
export V0034='it'\''s
me'
export V0035='a
$b'
export V0036='-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj
MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu
NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ
-----END PRIVATE KEY-----
'
export V0037='{"user":"admin","pass":"p@ss w0rd"}'
export V0038='https://example.com/cb?x=1&y=2#frag'
export V0039='postgres://user:p%40ss@db:5432/app?sslmode=require'
export V0040='dGVzdCBzZWNyZXQ='
export V0041='YWJjZA=='
export V0042='run `id`'
export V0043='it'\''s `id`'
export V0044='ab'
export V0045='a
b'
export V0046='a	b'
export V0047='	indented'
export V0048='x	'
export V0049='héllo wörld ✓'
export V0050='🔑🚀 key'
export V0051='שלום עולם مرحبا'
export V0052='éä'
export V0053=' x '
export V0054='a b'
export V0055='ab'
export V0056='﻿x'
export V0057='wow!'
export V0058='*.example.com'
export V0059='a;b'
export V0060='a&b'
export V0061='a|b'
export V0062='<tag>'
export V0063='export X=1'
export V0064='key: value'
export V0065='0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef '
export V0066='é🔑;='
export V0067='$
	{a(
Zé#'
export V0068=' '
export V0069=' ::.'
export V0070='n'\''(
!'
export V0071=''\''$.nn\ $'
export V0072='&$/a ${#&'
export V0073='#}&.🔑=0\$/\.'
export V0074='!'
export V0075='	#a ;.é	 
'
export V0076='!){ a$" #( \'
export V0077='🔑Z=#/$
'
export V0078='{;:'
export V0079='.}$🔑r'
export V0080='-:/r'\'''
export V0081='\ 	":'
export V0082='\'
export V0083='""0\\a.'
export V0084='(n /	=-`=\$'
export V0085='"'
export V0086='
{#'
export V0087=';$0$'\''é`!'
export V0088='"'
export V0089='!'\'' &# "!r'
export V0090=':'
export V0091='

!'\''Z.`'
export V0092='(🔑a0-
 '
export V0093='/$'
export V0094='$	
🔑 '
export V0095=';`é!:$#.
\'
export V0096='!\}n'\''\)'
export V0097='a:$") '
export V0098='#\---&}.'
export V0099='0$'
export V0100='🔑('\'' {'\''".;'
export V0101='!'
export V0102='a   én#n(_)-'
export V0103='r`'
export V0104='="'
export V0105='{}a`'
export V0106='Z'
export V0107=''\''-$ 🔑)\-'\'''
export V0108='
 '
export V0109='\\&

'
export V0110=' :=$;#})é/'
export V0111=') rr.. ='\'' .'
export V0112='-r_🔑'
export V0113=''
export V0114='  # 	'
export V0115=';$🔑"
n\
#'
export V0116='&-
\$:.:'
export V0117='$0
{r'
export V0118='/Z'
export V0119=' \;#Z'
export V0120=''
export V0121='r'\''r\}" \\'
export V0122=''
export V0123='$'
export V0124='!=.é#=)# ('
export V0125='\#'
export V0126=' $

$$
'
export V0127=' !'
export V0128='{&$'
export V0129='#:'
export V0130='	{$'
export V0131='"a!&!nr/`n-n'
export V0132='=n!${a(
. '
export V0133='({_('\'')🔑\:`'
export V0134='0'
export V0135='🔑}_$&"a}$\#
'
export V0136='a\"\#{;🔑(\'
export V0137='	!.Z}{"'
export V0138=' . !!!/\_0	'
export V0139='\'\''r)."
{-a=#'
export V0140='
né "-.)🔑.-'
export V0141='"=\Z{ ""

'
export V0142='&)#	$'
export V0143='n .
(0'
export V0144='(#_$&}&	'\''Z!'
export V0145=''\'' '
export V0146='".
é" /-'
export V0147='raé{ :r '
export V0148='Z//($'
export V0149='#:$r	'
export V0150='	&'
export V0151='}$é 🔑{)  ;'
export V0152='"-_n'
export V0153='n"\'
export V0154='{)a'
export V0155='" 	  {'
export V0156=''
export V0157=''\''🔑/}🔑:$ &'
export V0158='#
(}Z'\''&-"`#Z'
export V0159='"r-\$'
export V0160=''
export V0161='}&}'
export V0162='\=n'
export V0163='n$;\'
export V0164='#🔑🔑#-`}#"é'
export V0165=''
export V0166='(
!{'\''🔑$🔑r_"
'
export V0167='#'
export V0168='`	0'
export V0169=''
export V0170='\n'
export V0171='$_a${ {" '
export V0172='/!é"Z:	'
export V0173=';'
export V0174='-'\''Z'
export V0175='#é#("'
export V0176=''
export V0177='r";{'
export V0178='/"#'
export V0179='🔑\_n\$$"
n-/'
export V0180='aa'
export V0181=''
export V0182='
'
export V0183=''
export V0184='.(
&=$r #\'
export V0185='$0'\'''\''-
_-.'
export V0186=' '
export V0187=';'\''"'
export V0188=';}a;\`"#Z'
export V0189=')🔑'\''"'
export V0190='# /
"" r;.n'
export V0191='
	
	{#/ 
-'
export V0192='n\
'
export V0193='0-{"`
\'
export V0194=':\!;'
export V0195='" !	=	#'\''}-'
export V0196='&!\:"! '\''/_ -'
export V0197='	. .'
export V0198='	{ '
export V0199='="'\''0$\$'
export V0200='n "
"}0;

='
export V0201='\\_	$a; '
export V0202=' "$}" }n	 n'
export V0203='#a}$}'
export V0204=' '\'''\''$0\/&
'
export V0205='}; ; '
export V0206='0#'
export V0207=' '\'';;
 #='
export V0208='	}'\'''
export V0209='$'\''(='\''ar
;'
export V0210=' 	é"'
export V0211='"#0'\''=Z "nZZ-'
export V0212='"_"&}__
$\'
export V0213='
;({& ;-'
export V0214='"$🔑!)"$'
export V0215=' .;\:r= ='
export V0216='!\🔑;'
export V0217='#!0( !\0Z'
export V0218='ra##'
export V0219='"
.a&a  
'
export V0220=';{_/{ ;n-&'
export V0221='0) :0	'
export V0222='"
\'\''/) '
export V0223=')0!/'
export V0224='_'
export V0225=' 	'\'' !.-
🔑.'
export V0226=' '
export V0227='}$	a$
:`"	'
export V0228='- n {{	0'
export V0229='n} -\Z;
;'
export V0230=':'
export V0231=':{-#
--(
$
'
export V0232='! (n#;=(
:a'
export V0233='
	\=🔑='
export V0234='"}

-"Z$!'\''&'
export V0235='=!'
export V0236='}#Z(\'
export V0237='\'\''"};# " 
=:'
export V0238=''\''( Zr#"&'
export V0239=''\''
é'
export V0240='=(`é\'
export V0241='. {n0--é)#'\''='
export V0242='$ r='
export V0243='\'
export V0244='&}\#	🔑`"
0}é'
export V0245=''\''!\{{n-` '
export V0246=';\$\=$"
 🔑'
export V0247='0}'
export V0248=' '
export V0249='\'
export V0250='"-#0-Z_(;` '
export V0251='; )\'
export V0252='=n'
export V0253='_'
export V0254='{
}!'\''# r\ -'
export V0255=';n( \#_'
export V0256='_" n}}'
export V0257='! .-'
export V0258='"🔑= '
export V0259='=;_-\'
export V0260='/-$#/é{'\'''
export V0261='$ !`aé`'
export V0262='0'
export V0263=')/'
export V0264='n$!{/
_"n'
export V0265=''\''!🔑
'
export V0266='-n '\'' _  = '
export V0267='"{ )'
export V0268=' '\'''
export V0269=''\'' ."_'
export V0270='🔑.&'\''\ }'\'''\''&(/'
export V0271='-'
export V0272='{é$"!
={}&`'
export V0273='a🔑-🔑\é \n"{'
export V0274=' '
export V0275='; aZ:é-é-	'
export V0276=''
export V0277='##)` 	.`#'\'''
export V0278='#é 🔑
!'
export V0279=':a_r🔑

	}🔑'
export V0280=' 🔑(#")'
export V0281='#!0" /)'
export V0282='🔑
		'
export V0283='-$#{
=a.'
export V0284=':🔑\}:'\'''
export V0285='&éa#'
export V0286='Z !$)Z_!'
export V0287=')## !	'
export V0288='} {$-/"n'
export V0289='r_='
export V0290='-🔑é"'
export V0291='&":'
export V0292='-$a)é)'
export V0293=''
export V0294='&{:	"`
'
export V0295='"_& $ }Z.'
export V0296='r'\''$" n'
export V0297=';\'\''\$🔑: '
export V0298='\\
'\''"'\''##'
export V0299='rZ!}
-Z'
export V0300=')-	:-n(ZrZa$'
export V0301=''
export V0302='"0- ) é($'
export V0303='a! '\''='
export V0304='!	\/;\r#🔑&\.'
export V0305='-" Z(}&é#"'
export V0306='(r/$$-0$#éZZ'
export V0307='=\🔑  \.(}a
#'
export V0308=''\''\" '
export V0309=''
export V0310='\	'\'''
export V0311='🔑.)0"r  "'
export V0312='
; $`0
='
export V0313='  "_".;$0{'
export V0314='r }
`	'
export V0315=' = `
0$ .'
export V0316='
}!)n$	Z
'
export V0317='""'
export V0318='
r'
export V0319='é \'
export V0320='0!.'\''r/`!$🔑n'
export V0321=''
export V0322='0}
r&:$0\🔑'\''#'
export V0323='##}-
&'\''a'
export V0324='n =\n$é'
export V0325='#}-'
export V0326='ér."aa-	'
export V0327=' '
export V0328='é
n } :!🔑 ('
export V0329=')n `r 🔑:'\''#'
export V0330=''\''
 ):🔑=_ '
export V0331='🔑Z$é0🔑
`'\'''
export V0332='"$}
🔑#'
export V0333='#a!'
export V0334='$$"_-
r`'
export V0335=''\'' 
\'
export V0336=' .='
export V0337='r0	 0r'
export V0338=' '
export V0339='`é0'\''#" -n-.'
export V0340='ré$\ 0--🔑;'
export V0341='/"}.	{){"'
export V0342='a '\''0- .'
export V0343='🔑=&}"\'
export V0344='&$)🔑'
export V0345='a\ :"/}
'
export V0346='-!\=#=
 /`
'
export V0347='}a.
#r	- {🔑'
export V0348='_
{=a$)$ é	-'
export V0349='$ r} .'
export V0350='#'\'''
export V0351='Z}"
; 
('
export V0352='=#
'
export V0353=' r$=.;(}'
export V0354='$`\ -\né)'
export V0355='"(é&'
export V0356='"; 🔑\}'\'''\''$'
export V0357='!'
export V0358='=;Z:/)
)'
export V0359='#	"$=&n'
export V0360='"&a#
$r -/'
export V0361='/ 0 
 ";é'\'''\''
'
export V0362='#;🔑 ;:r'
export V0363='"Z&'
export V0364='"-:
"Z- '
export V0365='# '\''\'\''\.  '
export V0366='"a'
export V0367='$ `!-/-r'
export V0368=' '
export V0369='🔑'\'''
export V0370='\0'\''\{0-é'
export V0371='$$$=(:;'
export V0372=''
export V0373=''\''".	 -0{$ Z'
export V0374='	{`{"🔑$$r'
export V0375=' '\''{r$#{`--'\'''\'''
export V0376='# ##0 '
export V0377=')
_``# '
export V0378='-"Z`-'
export V0379='..'\''r&"\="'
export V0380='a{  Z!$
\$'
export V0381='/=$ !r`é
r
'
export V0382=''
export V0383='"🔑'
export V0384='	$'
export V0385='-#0
'\'''\'''
export V0386='a#`'
export V0387='	!\: :;r"\$Z'
export V0388='0(é{é)- '
export V0389='	.Z#é";r'
export V0390='!='
export V0391='\n}}`\('\'';'
export V0392=' ;;Z'
export V0393=';- -='\'''
export V0394='"#'
export V0395=')$#}	Z\'\''\'
export V0396='/'
export V0397='/=!🔑🔑:-	'
export V0398='-_'
export V0399='}_a "'
export V0400='\  '
export V0401='/"'
export V0402=' }(#!-#0'\'';'
export V0403=''
export V0404='\
(	!'
export V0405=''
export V0406='
'\''_
!-n--00	'
export V0407=';0-'\'')
0#\ #'
export V0408=' ('
export V0409=' 	'
export V0410='{#`🔑'
export V0411=''
export V0412='0{=Z'
export V0413='🔑:{'\'''
export V0414='\_'
export V0415='="_:{'
export V0416='$`_} '
export V0417=''
export V0418=' {)r . 🔑/\'
export V0419=' Z-n'
export V0420='--"-.#:-r .'
export V0421='-'
export V0422='
}a#a.'\''r/ ({'
export V0423=''
export V0424='0;="-'
export V0425='a;) 
#'
export V0426='#{{"'\''(`	='
export V0427='0!;🔑-"'
export V0428=' :$_$\='
export V0429='$'
export V0430='
#-'\'')'
export V0431=':)a'
export V0432='é_
$-"`é:)'
export V0433=''\''
a({#{_aZ_'
export V0434='-"#
}-r
$'
export V0435='
"\n	🔑:$\{'
export V0436='
".	'\''()é'
export V0437=''
export V0438=''
export V0439='🔑('
export V0440='r} Z#'
export V0441=' $!
_ $Za'
export V0442=')& é0
#"/"'
export V0443='"Z} \'
export V0444='\`(
&
🔑\}='
export V0445='; :'
export V0446=''
export V0447=''\''`'
export V0448='!\`:🔑! { '
export V0449=''
export V0450='{&$-; Znr_ '
export V0451=':0'\'' -`Z$#\'
export V0452='🔑"))
=é'
export V0453='}-_- 
}'
export V0454='==$'
export V0455='\"é)é)'
export V0456='{`!'
export V0457='a( \;Z é'\''$'
export V0458='-#&!'
export V0459='"=
(
$
'
export V0460='0'
export V0461='   /$):'\''
'
export V0462='`'
export V0463='
$.\'
export V0464=' 🔑  / :_:;'
export V0465='\"Z  a'
